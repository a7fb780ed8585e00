#!/usr/bin/env bash
# Эталонное решение: docker save по имени образа в файл.
set -euo pipefail
mkdir -p ~/transfer
docker save -o ~/transfer/shop-api.tar shop/api:dev
ls -lh ~/transfer
tar -tf ~/transfer/shop-api.tar

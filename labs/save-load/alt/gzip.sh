#!/usr/bin/env bash
# Другой верный путь: docker save в stdout и сжатие gzip на лету (docker load читает и такой архив).
set -euo pipefail
mkdir -p ~/transfer
docker save shop/api:dev | gzip > ~/transfer/shop-api.tar

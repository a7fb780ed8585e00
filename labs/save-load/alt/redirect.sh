#!/usr/bin/env bash
# Другой верный путь: docker image save с перенаправлением вывода вместо -o.
set -euo pipefail
mkdir -p ~/transfer && cd ~/transfer
docker image save shop/api:dev > shop-api.tar

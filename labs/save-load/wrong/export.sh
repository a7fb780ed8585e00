#!/usr/bin/env bash
# expect-fail: archive, contains-image
# expect-message: archive: Так сохраняет docker export
# docker export сохраняет файловую систему контейнера, а не образ.
set -euo pipefail
mkdir -p ~/transfer
docker rm -f shop-export >/dev/null 2>&1 || true
docker create --name shop-export shop/api:dev >/dev/null
docker export -o ~/transfer/shop-api.tar shop-export
docker rm shop-export >/dev/null

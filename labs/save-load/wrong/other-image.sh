#!/usr/bin/env bash
# expect-fail: contains-image
# expect-message: contains-image: В архиве образ busybox:latest .*а нужен shop/api:dev
# Сохранён не тот образ.
set -euo pipefail
mkdir -p ~/transfer
docker pull -q busybox
docker save -o ~/transfer/shop-api.tar busybox

#!/usr/bin/env bash
# expect-fail: contains-image
# Сохранён не тот образ.
set -euo pipefail
mkdir -p ~/transfer
docker pull -q busybox
docker save -o ~/transfer/shop-api.tar busybox

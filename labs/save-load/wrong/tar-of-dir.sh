#!/usr/bin/env bash
# expect-fail: archive, contains-image
# expect-message: archive: обычный tar .*в нём нет manifest\.json
# Упакован каталог с исходниками, а не образ.
set -euo pipefail
mkdir -p ~/transfer ~/shop-src
printf 'FROM busybox\n' > ~/shop-src/Dockerfile
tar -cf ~/transfer/shop-api.tar -C ~/shop-src .

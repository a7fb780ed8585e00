#!/usr/bin/env bash
# expect-fail: archive, contains-image
# Упакован каталог с исходниками, а не образ.
set -euo pipefail
mkdir -p ~/transfer ~/shop-src
printf 'FROM busybox\n' > ~/shop-src/Dockerfile
tar -cf ~/transfer/shop-api.tar -C ~/shop-src .

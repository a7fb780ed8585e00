#!/usr/bin/env bash
# expect-fail: small, no-toolchain, non-root
# expect-message: small: а нужно не больше 20 МБ
# expect-message: no-toolchain: В слоях образа нашлись компилятор Go \(/usr/(local|lib|share)/go
# Исходный одноэтапный образ просто отправлен под тегом :slim.
set -euo pipefail
cd ~/multistage
docker build -t localhost:5000/shop/api:slim .
docker push localhost:5000/shop/api:slim

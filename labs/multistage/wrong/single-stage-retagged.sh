#!/usr/bin/env bash
# expect-fail: small, no-toolchain
# Исходный одноэтапный образ просто отправлен под тегом :slim.
set -euo pipefail
cd ~/multistage
docker build -t localhost:5000/shop/api:slim .
docker push localhost:5000/shop/api:slim

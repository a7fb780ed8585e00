#!/usr/bin/env bash
# expect-fail: key-pair
# expect-message: key-pair: открывается пустым паролем
# Всё подписано и проверяется, но закрытый ключ создан с пустым паролем.
set -euo pipefail
mkdir -p ~/keys && cd ~/keys
export COSIGN_PASSWORD=''
cosign generate-key-pair

docker pull localhost:5000/shop/api:1.4.2
IMAGE=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/api:1.4.2)
cosign sign --yes --key ~/keys/cosign.key --allow-insecure-registry --tlog-upload=false "$IMAGE"
cosign verify --key ~/keys/cosign.pub --allow-insecure-registry --insecure-ignore-tlog "$IMAGE"

#!/usr/bin/env bash
# Эталонное решение: ключи с паролем, подпись по дайджесту, проверка.
set -euo pipefail
mkdir -p ~/keys && cd ~/keys
export COSIGN_PASSWORD='correct-horse-battery-staple'
cosign generate-key-pair

docker pull localhost:5000/shop/api:1.4.2
IMAGE=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/api:1.4.2)
echo "Подписываю $IMAGE"

cosign sign --yes --key ~/keys/cosign.key --allow-insecure-registry --tlog-upload=false "$IMAGE"
cosign verify --key ~/keys/cosign.pub --allow-insecure-registry --insecure-ignore-tlog "$IMAGE"

#!/usr/bin/env bash
# expect-fail: signed, verifies
# expect-message: signed: Подписан исходный образ .*Тег перезаписали после подписи
# expect-message: verifies: у localhost:5000/shop/api@sha256:[0-9a-f]{12}… её нет
# Подписан исходный дайджест, но потом тег 1.4.2 перезаписан новой сборкой:
# теперь тег указывает на неподписанный образ.
set -euo pipefail
mkdir -p ~/keys && cd ~/keys
export COSIGN_PASSWORD='correct-horse-battery-staple'
cosign generate-key-pair

docker pull localhost:5000/shop/api:1.4.2
IMAGE=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/api:1.4.2)
cosign sign --yes --key ~/keys/cosign.key --allow-insecure-registry --tlog-upload=false "$IMAGE"

# «Небольшая правка» после подписи
printf 'FROM localhost:5000/shop/api:1.4.2\nLABEL hotfix="yes"\n' | docker build -t localhost:5000/shop/api:1.4.2 -
docker push localhost:5000/shop/api:1.4.2

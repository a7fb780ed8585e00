#!/usr/bin/env bash
# expect-fail: verifies
# expect-message: verifies: ключ ~/keys/cosign\.pub её не подтверждает
# В ~/keys лежит одна пара, а подписано ключом из другой пары (созданной «для пробы»).
set -euo pipefail
export COSIGN_PASSWORD='correct-horse-battery-staple'
mkdir -p ~/keys && (cd ~/keys && cosign generate-key-pair)
mkdir -p ~/tmp-keys && (cd ~/tmp-keys && cosign generate-key-pair)

docker pull localhost:5000/shop/api:1.4.2
IMAGE=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/api:1.4.2)
cosign sign --yes --key ~/tmp-keys/cosign.key --allow-insecure-registry --tlog-upload=false "$IMAGE"

#!/usr/bin/env bash
# Другой верный путь: дайджест спрошен у реестра (skopeo inspect) без docker pull, пароль
# ключа — из переменной окружения.
set -euo pipefail
export COSIGN_PASSWORD='another-long-passphrase'
mkdir -p ~/keys
cosign generate-key-pair --output-key-prefix ~/keys/cosign
IMAGE="localhost:5000/shop/api@$(skopeo inspect --format '{{.Digest}}' docker://localhost:5000/shop/api:1.4.2)"
cosign sign --yes --key ~/keys/cosign.key --allow-insecure-registry --tlog-upload=false "$IMAGE"

#!/usr/bin/env bash
# Другой верный путь: skopeo берёт образ из локального Docker (docker-daemon: идёт через
# /var/run/docker.sock) и кладёт прямо в реестр, без docker tag — как в документации skopeo.
set -euo pipefail
skopeo copy docker-daemon:my-api:v1 docker://localhost:5000/my-api:v1
skopeo inspect docker://localhost:5000/my-api:v1 | jq -r .Digest

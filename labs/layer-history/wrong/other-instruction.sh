#!/usr/bin/env bash
# expect-fail: found
# Записана команда соседнего (маленького) слоя.
set -euo pipefail
mkdir -p ~/answers
docker history --no-trunc --format '{{.CreatedBy}}' my-app:latest | grep /etc/passwd > ~/answers/fat-layer.txt

#!/usr/bin/env bash
# expect-fail: found
# expect-message: found: Это команда другого слоя
# Записана команда соседнего (маленького) слоя.
set -euo pipefail
mkdir -p ~/answers
docker history --no-trunc --format '{{.CreatedBy}}' my-app:latest | grep /etc/passwd > ~/answers/fat-layer.txt

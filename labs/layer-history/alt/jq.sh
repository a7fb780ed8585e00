#!/usr/bin/env bash
# Другой верный путь: история в JSON, самый большой слой выбирает jq.
set -euo pipefail
mkdir -p ~/answers
docker image history --no-trunc --human=false --format '{{json .}}' my-app \
  | jq -rs 'max_by(.Size | tonumber) | .CreatedBy' > ~/answers/fat-layer.txt

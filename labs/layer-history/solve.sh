#!/usr/bin/env bash
# Эталонное решение: история слоёв без обрезки, слой с наибольшим размером, его команда.
set -euo pipefail
docker history my-app:latest
mkdir -p ~/answers
docker history --no-trunc --human=false --format '{{.Size}}\t{{.CreatedBy}}' my-app:latest \
  | sort -t$'\t' -k1,1 -n -r | head -n 1 | cut -f2- > ~/answers/fat-layer.txt
cat ~/answers/fat-layer.txt

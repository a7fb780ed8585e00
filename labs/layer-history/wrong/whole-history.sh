#!/usr/bin/env bash
# expect-fail: found
# expect-message: found: строк, и нужная команда среди них есть
# В файл записана вся история целиком, а не одна команда.
set -euo pipefail
mkdir -p ~/answers
docker history --no-trunc --format '{{.CreatedBy}}' my-app:latest > ~/answers/fat-layer.txt

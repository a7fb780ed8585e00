#!/usr/bin/env bash
# expect-fail: found
# expect-message: found: обрезана \(кончается многоточием\)
# Команда скопирована из вывода docker history без --no-trunc — она обрезана.
set -euo pipefail
mkdir -p ~/answers
docker history --format '{{.Size}}\t{{.CreatedBy}}' my-app:latest | grep 'MB' | head -n 1 | cut -f2- > ~/answers/fat-layer.txt
cat ~/answers/fat-layer.txt

#!/usr/bin/env bash
# expect-fail: found
# Файл создан, но пуст.
set -euo pipefail
mkdir -p ~/answers
: > ~/answers/fat-layer.txt

#!/usr/bin/env bash
# expect-fail: found
# expect-message: found: fat-layer\.txt пуст
# Файл создан, но пуст.
set -euo pipefail
mkdir -p ~/answers
: > ~/answers/fat-layer.txt

#!/usr/bin/env bash
# expect-fail: greeting
# expect-message: greeting: записано «hello», а нужно «привет»
# Приветствие записано, но не то.
set -euo pipefail
echo hello > ~/hello.txt

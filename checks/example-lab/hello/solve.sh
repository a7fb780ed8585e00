#!/usr/bin/env bash
set -euo pipefail
echo привет > ~/hello.txt

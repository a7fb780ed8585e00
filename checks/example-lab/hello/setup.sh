#!/usr/bin/env bash
# Что видит учащийся на старте: файла ~/hello.txt нет.
set -euo pipefail
rm -f /home/learner/hello.txt

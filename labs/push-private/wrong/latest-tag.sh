#!/usr/bin/env bash
# expect-fail: pushed, same-image
# Забыли тег: образ ушёл в реестр как my-api:latest.
set -euo pipefail
docker tag my-api:v1 localhost:5000/my-api
docker push localhost:5000/my-api

#!/usr/bin/env bash
# expect-fail: pushed, same-image
# expect-message: pushed: есть my-api:latest, но нет тега v1
# expect-message: same-image: Сравнивать пока не с чем
# Забыли тег: образ ушёл в реестр как my-api:latest.
set -euo pipefail
docker tag my-api:v1 localhost:5000/my-api
docker push localhost:5000/my-api

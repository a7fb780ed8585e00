#!/usr/bin/env bash
# expect-fail: pushed, same-image
# expect-message: pushed: зато есть myapi:v1
# Опечатка в имени репозитория: myapi вместо my-api.
set -euo pipefail
docker tag my-api:v1 localhost:5000/myapi:v1
docker push localhost:5000/myapi:v1

#!/usr/bin/env bash
# Эталонное решение: новое имя с адресом реестра для того же образа, затем push.
set -euo pipefail
docker images my-api
docker tag my-api:v1 localhost:5000/my-api:v1
docker push localhost:5000/my-api:v1
curl -s http://localhost:5000/v2/my-api/tags/list

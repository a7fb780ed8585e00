#!/usr/bin/env bash
# Эталонное решение: вход с паролем из файла через stdin, новое имя, push.
set -euo pipefail
docker login localhost:5001 -u student --password-stdin < ~/registry-password.txt
docker tag shop/api:dev localhost:5001/team/api:1.0
docker push localhost:5001/team/api:1.0
curl -s -u "student:$(cat ~/registry-password.txt)" http://localhost:5001/v2/team/api/tags/list

#!/usr/bin/env bash
# expect-fail: same-image
# expect-message: same-image: лежит другой образ: ID sha256:
# Вход выполнен, но под именем team/api:1.0 отправлен другой образ (busybox).
set -euo pipefail
docker login localhost:5001 -u student --password-stdin < ~/registry-password.txt
docker pull -q busybox
docker tag busybox localhost:5001/team/api:1.0
docker push localhost:5001/team/api:1.0

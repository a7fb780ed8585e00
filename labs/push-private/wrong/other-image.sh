#!/usr/bin/env bash
# expect-fail: same-image
# expect-message: same-image: лежит другой образ: его ID sha256:
# Под именем my-api:v1 отправлен другой образ (голый busybox).
set -euo pipefail
docker pull -q busybox
docker tag busybox localhost:5000/my-api:v1
docker push localhost:5000/my-api:v1

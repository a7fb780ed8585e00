#!/usr/bin/env bash
# expect-fail: pushed, same-image
# expect-message: pushed: оказался в реестре localhost:5000
# Образ отправлен в реестр без пароля (localhost:5000) вместо localhost:5001.
set -euo pipefail
docker tag shop/api:dev localhost:5000/team/api:1.0
docker push localhost:5000/team/api:1.0

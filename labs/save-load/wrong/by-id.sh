#!/usr/bin/env bash
# expect-fail: contains-image
# expect-message: contains-image: без имени: похоже, его сохраняли по IMAGE ID
# Образ сохранён по IMAGE ID: в архиве нет его имени, после docker load он станет <none>:<none>.
set -euo pipefail
mkdir -p ~/transfer
docker save "$(docker image inspect --format '{{.Id}}' shop/api:dev)" > ~/transfer/shop-api.tar

#!/usr/bin/env bash
# Другой верный путь: короткий хеш обрезкой полного, все четыре тега сразу, затем один
# push всех тегов репозитория (-a).
set -euo pipefail
SHA=$(git -C ~/shop rev-parse HEAD | cut -c1-7)
for tag in 1 1.4 1.4.2 "sha-$SHA"; do docker image tag shop/api:dev localhost:5000/shop/api:$tag; done
docker push --all-tags localhost:5000/shop/api

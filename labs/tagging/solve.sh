#!/usr/bin/env bash
# Эталонное решение: четыре имени для одного образа shop/api:dev, каждое отправлено в реестр.
set -euo pipefail
cd ~/shop
SHA=$(git rev-parse --short=7 HEAD)
for tag in 1.4.2 1.4 1 "sha-$SHA"; do
  docker tag shop/api:dev "localhost:5000/shop/api:$tag"
  docker push -q "localhost:5000/shop/api:$tag"
done
curl -s http://localhost:5000/v2/shop/api/tags/list

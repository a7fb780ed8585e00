#!/usr/bin/env bash
# expect-fail: same-digest, same-image
# expect-message: same-digest: Теги указывают на разные манифесты
# expect-message: same-image: Не тот образ у 1 \(ID
# Между push образ пересобрали с правкой: часть тегов указывает на другой образ.
set -euo pipefail
cd ~/shop
SHA=$(git rev-parse --short=7 HEAD)
for tag in 1.4.2 1.4; do
  docker tag shop/api:dev "localhost:5000/shop/api:$tag"
  docker push -q "localhost:5000/shop/api:$tag"
done
echo '<p>hotfix</p>' >> site/index.html
docker build -q -t shop/api:hotfix .
for tag in 1 "sha-$SHA"; do
  docker tag shop/api:hotfix "localhost:5000/shop/api:$tag"
  docker push -q "localhost:5000/shop/api:$tag"
done

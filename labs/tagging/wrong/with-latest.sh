#!/usr/bin/env bash
# expect-fail: no-latest
# expect-message: no-latest: есть тег latest
# Всё верно, но «на всякий случай» отправлен и latest.
set -euo pipefail
SHA=$(git -C ~/shop rev-parse --short=7 HEAD)
for tag in 1.4.2 1.4 1 "sha-$SHA" latest; do
  docker tag shop/api:dev "localhost:5000/shop/api:$tag"
  docker push -q "localhost:5000/shop/api:$tag"
done

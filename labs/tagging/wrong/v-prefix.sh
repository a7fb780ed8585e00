#!/usr/bin/env bash
# expect-fail: semver-tags, same-digest
# expect-message: semver-tags: Найдены теги v1, v1\.4 и v1\.4\.2.*без буквы v
# Версии с буквой v: v1.4.2, v1.4, v1.
set -euo pipefail
SHA=$(git -C ~/shop rev-parse --short=7 HEAD)
for tag in v1.4.2 v1.4 v1 "sha-$SHA"; do
  docker tag shop/api:dev "localhost:5000/shop/api:$tag"
  docker push -q "localhost:5000/shop/api:$tag"
done

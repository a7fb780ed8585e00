#!/usr/bin/env bash
# expect-fail: commit-tag, same-digest
# expect-message: commit-tag: Найден тег sha-[0-9a-f]{40}: хеш правильный, но в нём 40 символов
# expect-message: same-digest: Сравнить пока нельзя: в реестре нет sha-<коммит>
# Тег коммита с полным хешем вместо 7 символов.
set -euo pipefail
SHA=$(git -C ~/shop rev-parse HEAD)
for tag in 1.4.2 1.4 1 "sha-$SHA"; do
  docker tag shop/api:dev "localhost:5000/shop/api:$tag"
  docker push -q "localhost:5000/shop/api:$tag"
done

#!/usr/bin/env bash
# Лаба tagging (от root, идемпотентно): заново создаёт git-репозиторий ~/shop с одним коммитом,
# собирает из него shop/api:dev с меткой org.opencontainers.image.revision=<коммит> и снимает
# локальные теги релиза.
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
. "$REGISTRY_LAB_LIB/shop.sh"

repo=localhost:5000/shop/api
# Одним вызовом docker: теги релиза и sha-*/v1* в localhost:5000/shop/api и теги релиза shop/api.
refs=(shop/api:latest shop/api:1.4.2 shop/api:1.4 shop/api:1)
for t in $(docker image ls --format '{{.Tag}}' "$repo"); do
  case "$t" in 1.4.2|1.4|1|latest|sha-*|v1*) refs+=("$repo:$t") ;; esac
done
remove_images "${refs[@]}"

shop_reset_repo
rev=$(shop_build_dev "$RL_HOME/shop")
echo "shop/api:dev built from $rev"

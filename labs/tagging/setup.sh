#!/usr/bin/env bash
# Лаба tagging (от root, идемпотентно): заново создаёт git-репозиторий ~/shop с одним коммитом,
# собирает из него shop/api:dev с меткой org.opencontainers.image.revision=<коммит> и снимает
# локальные теги релиза.
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
. "$REGISTRY_LAB_LIB/shop.sh"

repo=localhost:5000/shop/api
remove_local_tags "$repo" 1.4.2 1.4 1 latest
for t in $(docker image ls --format '{{.Tag}}' "$repo"); do
  case "$t" in sha-*|v1*) remove_local_tags "$repo" "$t" ;; esac
done
remove_local_tags shop/api latest 1.4.2 1.4 1

shop_reset_repo
rev=$(shop_build_dev "$RL_HOME/shop")
echo "shop/api:dev built from $rev"

#!/usr/bin/env bash
# Лаба registry-api (идемпотентно): публикует в реестре сессии два разных образа,
# localhost:5000/shop/api:1.4.2 и localhost:5000/shop/api:old, убирает их локальные имена
# (работать предстоит только с реестром) и очищает ~/answers. Репозитории shop/api и
# shop/archive в реестре очищает lab.ts (reset), дайджесты записывает lab.ts (record).
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"

REPO=localhost:5000/shop/api
clear_learner_dir "$RL_HOME/answers"
learner_dir "$RL_HOME/answers"
ensure_busybox

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

build() { # build <tag> <text>
  mkdir -p "$ctx/$1"
  printf '%s\n' "$2" > "$ctx/$1/version.txt"
  cat > "$ctx/$1/Dockerfile" <<'DOCKERFILE'
FROM busybox
COPY version.txt /srv/api/version.txt
CMD ["cat", "/srv/api/version.txt"]
DOCKERFILE
  docker build -q --label "org.opencontainers.image.version=$1" -t "$REPO:$1" "$ctx/$1" >/dev/null
  docker push -q "$REPO:$1" >/dev/null
}

build 1.4.2 'shop/api 1.4.2: текущий релиз'
build old 'shop/api 1.3.0: устаревшая сборка'
remove_local_repo "$REPO"
remove_local_repo localhost:5000/shop/archive

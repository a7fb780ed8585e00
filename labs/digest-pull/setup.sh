#!/usr/bin/env bash
# Лаба digest-pull. От root, идемпотентно:
#  1. публикует localhost:5000/shop/web:1.0 — сервис, отвечающий «v1» (исходный образ);
#  2. «коллега» собирает другой образ, отвечающий «broken», и публикует его под тем же тегом;
#  3. в Docker Engine учащегося тег 1.0 остаётся на исходном образе (он был скачан раньше);
#  4. очищает ~/deploy и удаляет контейнер web.
# Оба дайджеста знает только этот скрипт: он оставляет их в /opt/registry-lab/state/digest-pull.json
# (файл недоступен учащемуся; record в lab.ts читает и удаляет его).
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
H=/home/learner
REPO=localhost:5000/shop/web
TAG=1.0
docker rm -f web >/dev/null 2>&1 || true
clear_learner_dir "$H/deploy"

# Базовый образ заранее в локальном хранилище: сборка не зависит от зеркала.
docker image inspect busybox >/dev/null 2>&1 || docker pull -q busybox >/dev/null
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

registry_digest() {
  curl -fsS -o /dev/null -D - \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://localhost:5000/v2/shop/web/manifests/$TAG" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'
}

build() { # build <dir> <answer>
  mkdir -p "$ctx/$1"
  printf '%s\n' "$2" > "$ctx/$1/index.html"
  cat > "$ctx/$1/Dockerfile" <<'DOCKERFILE'
FROM busybox
COPY index.html /www/index.html
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
DOCKERFILE
  docker build -q --label "org.opencontainers.image.version=$1" -t "$REPO:$TAG" "$ctx/$1"
}

v1_id=$(build v1 v1)
docker push -q "$REPO:$TAG" >/dev/null
v1_digest=$(registry_digest)

v2_id=$(build broken broken)
docker push -q "$REPO:$TAG" >/dev/null
v2_digest=$(registry_digest)

# The learner's engine keeps the image it pulled before the tag moved.
docker tag "$v1_id" "$REPO:$TAG"
docker image rm "$v2_id" >/dev/null 2>&1 || true

[ -n "$v1_digest" ] && [ -n "$v2_digest" ] && [ "$v1_digest" != "$v2_digest" ] || { echo "digest-pull setup: bad digests '$v1_digest' '$v2_digest'" >&2; exit 1; }
install -d -m 700 /opt/registry-lab/state
umask 077
printf '{"original":"%s","repushed":"%s"}\n' "$v1_digest" "$v2_digest" > /opt/registry-lab/state/digest-pull.json

#!/usr/bin/env bash
# Лаба push-private (от root, идемпотентно): собирает локальный образ my-api:v1 и убирает
# локальные имена localhost:5000/my-api:*.
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"

remove_local_repo localhost:5000/my-api
ensure_busybox

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
LABEL org.opencontainers.image.title="my-api" \
      org.opencontainers.image.description="Registry Lab: образ для первого push"
COPY api.txt /srv/my-api/api.txt
CMD ["cat", "/srv/my-api/api.txt"]
DOCKERFILE
printf 'my-api v1: привет из Registry Lab\n' > "$ctx/api.txt"
docker build -q -t my-api:v1 "$ctx" >/dev/null

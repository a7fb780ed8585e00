#!/usr/bin/env bash
# Лаба signing: публикует localhost:5000/shop/api:1.4.2 (маленький образ на busybox) и
# удаляет ~/keys. Подписи в реестре удаляет lab.ts (afterSetup). От root, идемпотентно:
# повторный запуск возвращает тег 1.4.2 к исходному образу.
set -euo pipefail
H=/home/learner
rm -rf "$H/keys"
docker image inspect busybox >/dev/null 2>&1 || docker pull -q busybox >/dev/null
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
COPY index.html /www/index.html
LABEL org.opencontainers.image.title="shop-api" org.opencontainers.image.version="1.4.2"
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
DOCKERFILE
echo 'shop api 1.4.2' > "$ctx/index.html"
docker build -q -t localhost:5000/shop/api:1.4.2 "$ctx" >/dev/null
docker push -q localhost:5000/shop/api:1.4.2 >/dev/null

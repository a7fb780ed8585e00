#!/usr/bin/env bash
# Лаба layer-history (от root, идемпотентно): собирает my-app:latest из Dockerfile, которого
# учащийся не видит (контекст во временном каталоге, удаляется), и очищает ~/answers/fat-layer.txt.
# Одна инструкция добавляет ~300 МБ.
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"

learner_dir "$RL_HOME/answers"
rm -f "$RL_HOME/answers/fat-layer.txt"
ensure_busybox

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
LABEL org.opencontainers.image.title="my-app"
ENV APP_HOME=/opt/my-app
WORKDIR /opt/my-app
COPY app.sh ./app.sh
RUN chmod +x app.sh && mkdir -p /var/log/my-app
RUN mkdir -p /var/cache/my-app && head -c 300000000 /dev/urandom > /var/cache/my-app/assets.bin
RUN echo 'app:x:10001:10001:my-app:/opt/my-app:/bin/sh' >> /etc/passwd && chown 10001 /var/log/my-app
USER app
CMD ["./app.sh"]
DOCKERFILE
cat > "$ctx/app.sh" <<'SH'
#!/bin/sh
echo "my-app: started"
exec sleep 3600
SH
docker build -q -t my-app:latest "$ctx" >/dev/null

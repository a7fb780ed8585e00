#!/usr/bin/env bash
# Другой верный путь: дайджест из docker images --digests, ссылка собрана вручную.
set -euo pipefail
D=$(docker images --digests --format '{{.Tag}} {{.Digest}}' localhost:5000/shop/web | awk '$1 == "1.0" {print $2}')
mkdir -p ~/deploy
printf 'localhost:5000/shop/web@%s\n' "$D" > ~/deploy/web.ref
docker rm -f web >/dev/null 2>&1 || true
docker run -d --name web "localhost:5000/shop/web@$D"

#!/usr/bin/env bash
# Эталонное решение: берём дайджест, с которым образ был скачан, и запускаем по нему.
set -euo pipefail
docker images --digests localhost:5000/shop/web
REF=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/web:1.0)
mkdir -p ~/deploy
echo "$REF" > ~/deploy/web.ref
docker rm -f web 2>/dev/null || true
docker run -d --name web "$(cat ~/deploy/web.ref)"
sleep 1
docker exec web wget -qO- http://localhost:8080/

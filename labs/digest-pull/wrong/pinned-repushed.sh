#!/usr/bin/env bash
# expect-fail: original, running
# expect-message: original: дайджест перезалитого \(сломанного\) образа
# expect-message: running: запущен из перезалитого \(сломанного\) образа
# Сначала docker pull по тегу (локальный образ заменён сломанным), потом закреплён его дайджест.
set -euo pipefail
docker pull localhost:5000/shop/web:1.0
REF=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/web:1.0)
mkdir -p ~/deploy
echo "$REF" > ~/deploy/web.ref
docker run -d --name web "$REF"

#!/usr/bin/env bash
# expect-fail: running
# expect-message: running: из нужного образа, но по ссылке «localhost:5000/shop/web:1\.0», а не по дайджесту
# Дайджест в файле правильный, но контейнер запущен по тегу.
set -euo pipefail
REF=$(docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/shop/web:1.0)
mkdir -p ~/deploy
echo "$REF" > ~/deploy/web.ref
docker run -d --name web localhost:5000/shop/web:1.0

#!/usr/bin/env bash
# expect-fail: pinned-ref, original, resolvable, running
# expect-message: pinned-ref: это ссылка по тегу
# expect-message: running: а не по дайджесту
# В файл записан тег, а не дайджест.
set -euo pipefail
mkdir -p ~/deploy
echo "localhost:5000/shop/web:1.0" > ~/deploy/web.ref
docker run -d --name web "$(cat ~/deploy/web.ref)"

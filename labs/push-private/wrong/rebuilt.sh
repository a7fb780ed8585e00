#!/usr/bin/env bash
# expect-fail: same-image
# expect-message: same-image: лежит (похожий, но )?другой образ
# Вместо того чтобы дать имя готовому образу, собрали «похожий» заново.
set -euo pipefail
mkdir -p ~/rebuild && cd ~/rebuild
printf 'FROM busybox\nRUN echo my-api > /srv-my-api.txt\nCMD ["cat", "/srv-my-api.txt"]\n' > Dockerfile
docker build -q -t localhost:5000/my-api:v1 .
docker push localhost:5000/my-api:v1

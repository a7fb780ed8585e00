#!/usr/bin/env bash
# expect-fail: pushed, same-image
# expect-message: pushed: Образ уже называется localhost:5001/team/api:1\.0, но .*без docker login реестр отклоняет push
# Push без docker login: реестр отвечает «no basic auth credentials».
docker tag shop/api:dev localhost:5001/team/api:1.0
docker push localhost:5001/team/api:1.0
exit 0

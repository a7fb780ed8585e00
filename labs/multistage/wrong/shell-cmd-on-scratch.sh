#!/usr/bin/env bash
# expect-fail: runs
# expect-message: runs: не ответил на GET /healthz
# Образ маленький и чистый, но CMD записан в форме оболочки: в scratch нет /bin/sh,
# контейнер не запускается.
set -euo pipefail
cd ~/multistage
cat > Dockerfile <<'DOCKERFILE'
FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/api .

FROM scratch
COPY --from=build /out/api /api
USER 65532
CMD /api
DOCKERFILE
docker build -t localhost:5000/shop/api:slim .
docker push localhost:5000/shop/api:slim

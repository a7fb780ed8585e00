#!/usr/bin/env bash
# expect-fail: no-toolchain
# expect-message: no-toolchain: ^В слоях образа нашлись исходники \(/app/main\.go
# Итоговый этап на busybox, но в него скопирован весь каталог сборки вместе с main.go.
set -euo pipefail
cd ~/multistage
cat > Dockerfile <<'DOCKERFILE'
FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o api .

FROM busybox
WORKDIR /app
COPY --from=build /src/ ./
USER 1000
EXPOSE 8080
CMD ["/app/api"]
DOCKERFILE
docker build -t localhost:5000/shop/api:slim .
docker push localhost:5000/shop/api:slim

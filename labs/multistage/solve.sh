#!/usr/bin/env bash
# Эталонное решение: многоэтапная сборка, итоговый этап — пустой образ scratch.
set -euo pipefail
cd ~/multistage
cat > Dockerfile <<'DOCKERFILE'
# Этап сборки: здесь есть компилятор, но в итоговый образ он не попадёт.
FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod ./
COPY *.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/api .

# Итоговый этап: только бинарник.
FROM scratch
COPY --from=build /out/api /api
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/api"]
DOCKERFILE
docker build -t localhost:5000/shop/api:slim .
docker push localhost:5000/shop/api:slim

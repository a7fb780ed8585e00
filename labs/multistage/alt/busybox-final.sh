#!/usr/bin/env bash
# Другой верный путь: итоговый этап на busybox (есть оболочка для отладки), пользователь
# nobody по имени, CMD вместо ENTRYPOINT; образ собран под локальным именем и потом назван
# именем реестра. Этап сборки тот же, что в solve.sh, и берётся из кэша сборки.
set -euo pipefail
cd ~/multistage
cat > Dockerfile <<'DOCKERFILE'
FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod ./
COPY *.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/api .

FROM busybox
COPY --from=build /out/api /usr/local/bin/api
USER nobody
EXPOSE 8080
CMD ["api"]
DOCKERFILE
docker build -q -t shop/api:slim .
docker tag shop/api:slim localhost:5000/shop/api:slim
docker push -q localhost:5000/shop/api:slim

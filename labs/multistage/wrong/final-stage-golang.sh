#!/usr/bin/env bash
# expect-fail: small, no-toolchain, non-root
# expect-message: small: а нужно не больше 20 МБ
# expect-message: no-toolchain: компилятор Go \(/usr/(local|lib|share)/go
# expect-message: non-root: не задан пользователь
# Два этапа, но итоговый снова начинается с golang:1.24: компилятор остаётся в образе.
set -euo pipefail
cd ~/multistage
cat > Dockerfile <<'DOCKERFILE'
FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 go build -o /out/api .

FROM golang:1.24
COPY --from=build /out/api /usr/local/bin/api
EXPOSE 8080
CMD ["api"]
DOCKERFILE
docker build -t localhost:5000/shop/api:slim .
docker push localhost:5000/shop/api:slim

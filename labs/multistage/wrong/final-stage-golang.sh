#!/usr/bin/env bash
# expect-fail: small, no-toolchain
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

#!/usr/bin/env bash
# Другой верный путь: длинные формы команд (docker image tag / docker image push) и push
# всех тегов репозитория (-a) вместо одного.
set -euo pipefail
docker image tag my-api:v1 localhost:5000/my-api:v1
docker image push --all-tags localhost:5000/my-api

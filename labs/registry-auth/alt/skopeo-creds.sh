#!/usr/bin/env bash
# Другой верный путь, другим инструментом: skopeo берёт образ из локального Docker и
# отправляет в реестр на 5001 с логином и паролем в --dest-creds, без docker login.
set -euo pipefail
skopeo copy --dest-creds "student:$(cat ~/registry-password.txt)" docker-daemon:shop/api:dev docker://localhost:5001/team/api:1.0

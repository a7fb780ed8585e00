#!/usr/bin/env bash
# Другой верный путь, другим инструментом: skopeo сам монтирует блобы и отправляет манифест
# без изменений (тот же дайджест), skopeo delete удаляет манифест тега по его дайджесту.
set -euo pipefail
mkdir -p ~/answers
skopeo inspect --format '{{.Digest}}' docker://localhost:5000/shop/api:1.4.2 > ~/answers/manifest-digest.txt
skopeo copy docker://localhost:5000/shop/api:1.4.2 docker://localhost:5000/shop/archive:1.4.2
skopeo delete docker://localhost:5000/shop/api:old

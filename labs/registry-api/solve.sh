#!/usr/bin/env bash
# Эталонное решение: только curl и jq.
set -euo pipefail
R=http://localhost:5000
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json')
mkdir -p ~/answers && cd ~/answers

# 1. Манифест как его отдаёт реестр: тело в файл, заголовки отдельно.
curl -fsS "${ACCEPT[@]}" -D headers.txt -o manifest.json "$R/v2/shop/api/manifests/1.4.2"
digest=$(tr -d '\r' < headers.txt | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
echo "$digest" > manifest-digest.txt
sha256sum manifest.json   # тот же хеш: дайджест — это sha256 байтов манифеста

# 2. Копия в shop/archive: монтируем конфигурацию и слои, затем PUT тех же байтов.
for blob in $(jq -r '.config.digest, .layers[].digest' manifest.json); do
  curl -fsS -o /dev/null -w "mount $blob: %{http_code}\n" -X POST "$R/v2/shop/archive/blobs/uploads/?mount=$blob&from=shop/api"
done
curl -fsS -o /dev/null -w "PUT manifest: %{http_code}\n" -X PUT \
  -H "Content-Type: $(jq -r .mediaType manifest.json)" \
  --data-binary @manifest.json "$R/v2/shop/archive/manifests/1.4.2"

# 3. Удаление old по дайджесту его манифеста.
old=$(curl -fsS -I "${ACCEPT[@]}" "$R/v2/shop/api/manifests/old" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
curl -fsS -o /dev/null -w "DELETE old: %{http_code}\n" -X DELETE "$R/v2/shop/api/manifests/$old"
curl -fsS "$R/v2/shop/api/tags/list"; echo
curl -fsS "$R/v2/shop/archive/tags/list"; echo

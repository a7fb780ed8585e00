#!/usr/bin/env bash
# expect-fail: digest
# expect-message: digest: конфигурац
# В ответ записан дайджест конфигурации (.config.digest, он же ID образа), а не манифеста;
# остальное сделано верно.
set -euo pipefail
R=http://localhost:5000
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json')
mkdir -p ~/answers && cd ~/answers
curl -fsS "${ACCEPT[@]}" -o manifest.json "$R/v2/shop/api/manifests/1.4.2"
jq -r .config.digest manifest.json > manifest-digest.txt
for blob in $(jq -r '.config.digest, .layers[].digest' manifest.json); do
  curl -fsS -o /dev/null -X POST "$R/v2/shop/archive/blobs/uploads/?mount=$blob&from=shop/api"
done
curl -fsS -o /dev/null -X PUT -H "Content-Type: $(jq -r .mediaType manifest.json)" --data-binary @manifest.json "$R/v2/shop/archive/manifests/1.4.2"
old=$(curl -fsS -I "${ACCEPT[@]}" "$R/v2/shop/api/manifests/old" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
curl -fsS -o /dev/null -X DELETE "$R/v2/shop/api/manifests/$old"

#!/usr/bin/env bash
# expect-fail: old-deleted, release-intact
# expect-message: old-deleted: old
# expect-message: release-intact: 1\.4\.2
# Удалён дайджест, полученный для 1.4.2 (он под рукой после шага 1), а не дайджест old.
set -euo pipefail
R=http://localhost:5000
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json')
mkdir -p ~/answers && cd ~/answers
curl -fsS "${ACCEPT[@]}" -D headers.txt -o manifest.json "$R/v2/shop/api/manifests/1.4.2"
digest=$(tr -d '\r' < headers.txt | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
echo "$digest" > manifest-digest.txt
for blob in $(jq -r '.config.digest, .layers[].digest' manifest.json); do
  curl -fsS -o /dev/null -X POST "$R/v2/shop/archive/blobs/uploads/?mount=$blob&from=shop/api"
done
curl -fsS -o /dev/null -X PUT -H "Content-Type: $(jq -r .mediaType manifest.json)" --data-binary @manifest.json "$R/v2/shop/archive/manifests/1.4.2"
curl -fsS -o /dev/null -X DELETE "$R/v2/shop/api/manifests/$digest"

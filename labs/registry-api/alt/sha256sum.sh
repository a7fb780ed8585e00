#!/usr/bin/env bash
# Другой верный путь, тоже только curl: дайджест посчитан sha256sum от байтов манифеста, а не
# взят из заголовка; манифест old найден GET-запросом; блобы смонтированы с Content-Length: 0.
set -euo pipefail
R=http://localhost:5000
A='Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
mkdir -p ~/answers
cd "$(mktemp -d)"

curl -sS --fail -H "$A" "$R/v2/shop/api/manifests/1.4.2" > m.json
echo "sha256:$(sha256sum < m.json | cut -d' ' -f1)" > ~/answers/manifest-digest.txt

for d in $(jq -r '[.config.digest] + [.layers[].digest] | .[]' m.json); do
  curl -sS --fail -X POST -H 'Content-Length: 0' -o /dev/null "$R/v2/shop/archive/blobs/uploads/?from=shop/api&mount=$d"
done
curl -sS --fail -X PUT -H "Content-Type: $(jq -r .mediaType m.json)" -T m.json "$R/v2/shop/archive/manifests/1.4.2"

old=$(curl -sS --fail -H "$A" -o /dev/null -D - "$R/v2/shop/api/manifests/old" | grep -i '^docker-content-digest:' | cut -d' ' -f2 | tr -d '\r')
curl -sS --fail -X DELETE "$R/v2/shop/api/manifests/$old"

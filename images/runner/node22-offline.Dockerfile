# Offline stand-in for node:22-trixie-slim, for engines that cannot reach Docker Hub:
# registry-lab/debian:trixie (made by `npm run images`) + the Node 22 binary that `npm install`
# put in node_modules/node/bin + npm itself from the npm registry (like the official image:
# /usr/local/bin/node, /usr/local/lib/node_modules/npm). The build context is a folder holding
# `node` and, only behind a TLS-inspecting proxy, `extra-ca.pem` (that proxy's CA bundle; it
# becomes NODE_EXTRA_CA_CERTS, so npm in this image and in the runner image trusts it):
#
#   mkdir -p /tmp/node22 && cp node_modules/node/bin/node /tmp/node22/
#   cp "$NODE_EXTRA_CA_CERTS" /tmp/node22/extra-ca.pem        # optional, see above
#   docker build -f images/runner/node22-offline.Dockerfile -t registry-lab/node:22-offline /tmp/node22
#   docker compose build --build-arg NODE_IMAGE=registry-lab/node:22-offline   (or NODE_IMAGE=… in the environment)
ARG BASE=registry-lab/debian:trixie
FROM ${BASE}
ARG NPM_VERSION=10.9.4
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/registry-lab/extra-ca.pem
COPY node extra-ca.pe[m] /tmp/stage/
RUN install -D -m 755 /tmp/stage/node /usr/local/bin/node \
 && mkdir -p /usr/local/share/registry-lab \
 && if [ -f /tmp/stage/extra-ca.pem ]; then cp /tmp/stage/extra-ca.pem "$NODE_EXTRA_CA_CERTS"; \
    else NODE_EXTRA_CA_CERTS= node -p "require('tls').rootCertificates.join('\\n')" > "$NODE_EXTRA_CA_CERTS"; fi \
 && rm -rf /tmp/stage \
 && node -e "fetch('https://registry.npmjs.org/npm/-/npm-' + process.argv[1] + '.tgz').then(async (r) => { if (!r.ok) throw new Error('npm registry: ' + r.status); require('fs').writeFileSync('/tmp/npm.tgz', Buffer.from(await r.arrayBuffer())); })" "$NPM_VERSION" \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz --strip-components=1 -C /usr/local/lib/node_modules/npm \
 && rm /tmp/npm.tgz \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
LABEL registry-lab.managed=true registry-lab.role=node-offline
CMD ["node"]

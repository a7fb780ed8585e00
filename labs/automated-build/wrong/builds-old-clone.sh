#!/usr/bin/env bash
# expect-fail: builds-on-push, same-digest, revision-label
# expect-message: builds-on-push: не дождалась localhost:5000/shop/auto:sha-[0-9a-f]{7}
# expect-message: revision-label: а отправлен был коммит [0-9a-f]{40}
# Хук собирает ~/autobuild и берёт коммит оттуда (HEAD старого клона), а не пришедший в push.
set -euo pipefail
cat > ~/git/app.git/hooks/post-receive <<'HOOK'
#!/usr/bin/env bash
set -euo pipefail
cat >/dev/null   # строки со stdin не нужны — «и так понятно, что собирать»
unset GIT_DIR
rev=$(git -C "$HOME/autobuild" rev-parse HEAD)
docker build -q --label "org.opencontainers.image.revision=$rev" \
  -t localhost:5000/shop/auto:main -t "localhost:5000/shop/auto:sha-${rev:0:7}" "$HOME/autobuild"
docker push -q localhost:5000/shop/auto:main
docker push -q "localhost:5000/shop/auto:sha-${rev:0:7}"
HOOK
chmod +x ~/git/app.git/hooks/post-receive

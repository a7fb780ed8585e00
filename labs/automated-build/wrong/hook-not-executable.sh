#!/usr/bin/env bash
# expect-fail: builds-on-push, same-digest, revision-label
# expect-message: builds-on-push: не исполняемый, и git его молча пропускает
# Хук правильный, но без chmod +x: git его молча пропускает.
set -euo pipefail
cat > ~/git/app.git/hooks/post-receive <<'HOOK'
#!/usr/bin/env bash
set -euo pipefail
while read -r oldrev newrev refname; do
  [ "$refname" = "refs/heads/main" ] || continue
  workdir=$(mktemp -d)
  git archive "$newrev" | tar -x -C "$workdir"
  docker build -q --label "org.opencontainers.image.revision=$newrev" \
    -t localhost:5000/shop/auto:main -t "localhost:5000/shop/auto:sha-${newrev:0:7}" "$workdir"
  docker push -q localhost:5000/shop/auto:main
  docker push -q "localhost:5000/shop/auto:sha-${newrev:0:7}"
  rm -rf "$workdir"
done
HOOK
chmod 644 ~/git/app.git/hooks/post-receive

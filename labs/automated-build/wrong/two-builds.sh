#!/usr/bin/env bash
# expect-fail: same-digest
# expect-message: same-digest: Теги указывают на разные манифесты: main → sha256:[0-9a-f]{12}…, sha-[0-9a-f]{7} → sha256:
# Хук собирает образ дважды (для каждого тега своя сборка со своей меткой времени):
# теги main и sha-<коммит> указывают на разные манифесты.
set -euo pipefail
cat > ~/git/app.git/hooks/post-receive <<'HOOK'
#!/usr/bin/env bash
set -euo pipefail
while read -r oldrev newrev refname; do
  [ "$refname" = "refs/heads/main" ] || continue
  workdir=$(mktemp -d)
  git archive "$newrev" | tar -x -C "$workdir"
  for tag in main "sha-${newrev:0:7}"; do
    docker build -q --label "org.opencontainers.image.revision=$newrev" --label "built-for=$tag" \
      -t "localhost:5000/shop/auto:$tag" "$workdir"
    docker push -q "localhost:5000/shop/auto:$tag"
  done
  rm -rf "$workdir"
done
HOOK
chmod +x ~/git/app.git/hooks/post-receive

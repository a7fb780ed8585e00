#!/usr/bin/env bash
# expect-fail: builds-on-push, same-digest
# expect-message: builds-on-push: не дождалась localhost:5000/shop/auto:sha-[0-9a-f]{7}\.
# expect-message: same-digest: Сравнивать нечего: тега sha-[0-9a-f]{7}
# Хук собирает и публикует только :main — тега sha-<коммит> нет.
set -euo pipefail
cat > ~/git/app.git/hooks/post-receive <<'HOOK'
#!/usr/bin/env bash
set -euo pipefail
while read -r oldrev newrev refname; do
  [ "$refname" = "refs/heads/main" ] || continue
  workdir=$(mktemp -d)
  git archive "$newrev" | tar -x -C "$workdir"
  docker build -q --label "org.opencontainers.image.revision=$newrev" -t localhost:5000/shop/auto:main "$workdir"
  docker push -q localhost:5000/shop/auto:main
  rm -rf "$workdir"
done
HOOK
chmod +x ~/git/app.git/hooks/post-receive

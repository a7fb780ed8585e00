#!/usr/bin/env bash
# Другой верный путь: хук на /bin/sh, дерево коммита достаёт git --work-tree … checkout,
# короткий хеш — git rev-parse --short=7; хук сделан исполняемым через install.
set -euo pipefail
hook=$(mktemp)
cat > "$hook" <<'HOOK'
#!/bin/sh
set -eu
while read -r old new ref; do
  if [ "$ref" != refs/heads/main ] || [ "$new" = 0000000000000000000000000000000000000000 ]; then continue; fi
  dir=$(mktemp -d)
  git --work-tree="$dir" checkout -f "$new" -- .
  sha=$(git rev-parse --short=7 "$new")
  docker build --label "org.opencontainers.image.revision=$new" -t localhost:5000/shop/auto:main -t "localhost:5000/shop/auto:sha-$sha" "$dir"
  docker push localhost:5000/shop/auto:main
  docker push "localhost:5000/shop/auto:sha-$sha"
  rm -rf "$dir"
done
HOOK
install -m 755 "$hook" ~/git/app.git/hooks/post-receive
rm -f "$hook"

cd ~/autobuild
echo '<p>Автосборка работает.</p>' >> index.html
git commit -qam "Проверка хука"
git push -q origin main

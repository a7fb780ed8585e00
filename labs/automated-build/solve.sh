#!/usr/bin/env bash
# Эталонное решение: хук post-receive собирает отправленный коммит и публикует два тега.
set -euo pipefail
cat > ~/git/app.git/hooks/post-receive <<'HOOK'
#!/usr/bin/env bash
# Автосборка: каждый push в main -> localhost:5000/shop/auto:main и :sha-<7 символов>.
set -euo pipefail
IMAGE=localhost:5000/shop/auto
ZERO=0000000000000000000000000000000000000000
while read -r oldrev newrev refname; do
  [ "$refname" = "refs/heads/main" ] || continue
  [ "$newrev" != "$ZERO" ] || continue          # ветку удалили — собирать нечего
  short=${newrev:0:7}
  workdir=$(mktemp -d)
  git archive "$newrev" | tar -x -C "$workdir"
  echo "autobuild: сборка $IMAGE из $newrev"
  docker build -q \
    --label "org.opencontainers.image.revision=$newrev" \
    -t "$IMAGE:main" -t "$IMAGE:sha-$short" "$workdir"
  docker push -q "$IMAGE:main"
  docker push -q "$IMAGE:sha-$short"
  rm -rf "$workdir"
done
HOOK
chmod +x ~/git/app.git/hooks/post-receive

# Пробуем: новый коммит и push
cd ~/autobuild
echo '<p>Собрано автоматически.</p>' >> index.html
git commit -am "Проверка автосборки"
git push origin main
curl -s localhost:5000/v2/shop/auto/tags/list

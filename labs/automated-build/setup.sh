#!/usr/bin/env bash
# Лаба automated-build: голый репозиторий ~/git/app.git (ветка main: Dockerfile на busybox и
# маленькая страница) и его клон ~/autobuild.
# От root, идемпотентно: всё пересоздаётся с нуля (в том числе хуки).
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
H=/home/learner
# Папки очищаются на месте: терминал, оставленный в ~/autobuild, остаётся в существующей папке.
clear_learner_dir "$H/git" "$H/git/app.git" "$H/autobuild"
# Базовый образ Dockerfile репозитория — заранее в локальном хранилище учащегося.
docker image inspect busybox >/dev/null 2>&1 || docker pull -q busybox >/dev/null
sudo -u learner -H bash -s <<'LEARNER'
set -euo pipefail
git config --global user.name >/dev/null || git config --global user.name "Learner"
git config --global user.email >/dev/null || git config --global user.email "learner@registry-lab.local"
mkdir -p ~/git
git init -q --bare --initial-branch=main ~/git/app.git
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cd "$src"
git init -q --initial-branch=main
cat > Dockerfile <<'DOCKERFILE'
FROM busybox
WORKDIR /app
COPY index.html ./
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/app"]
DOCKERFILE
cat > index.html <<'HTML'
<!doctype html>
<meta charset="utf-8">
<title>Shop auto</title>
<h1>Магазин: автоматическая сборка</h1>
HTML
cat > README.md <<'MD'
# app

Каждый push в ветку main должен собирать и публиковать образ
localhost:5000/shop/auto:main и localhost:5000/shop/auto:sha-<7 символов коммита>.
MD
git add .
git commit -q -m "Первая версия витрины"
git push -q "$HOME/git/app.git" main
cd "$HOME"
git clone -q "$HOME/git/app.git" "$HOME/autobuild"
LEARNER

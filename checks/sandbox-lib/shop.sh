# Registry Lab: the "shop" demo app and its image shop/api:dev, shared by several labs
# (tagging builds it from ~/shop, registry-auth and save-load only need the image).
# Source after common.sh, as root.
#
# The repository content, author and dates are fixed, so the commit hash is the same in
# every sandbox and shop/api:dev is labelled with it (org.opencontainers.image.revision).

SHOP_IMAGE="shop/api:dev"

# Writes the app's files into <dir> (created; content replaced).
shop_write_sources() {
  local d="$1"
  mkdir -p "$d/site"
  cat > "$d/Dockerfile" <<'DOCKERFILE'
# Витрина магазина: статические файлы, которые отдаёт httpd из busybox.
FROM busybox
WORKDIR /www
COPY site/ /www/
COPY VERSION /www/VERSION
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
DOCKERFILE
  printf '.git\n' > "$d/.dockerignore"
  printf '1.4.2\n' > "$d/VERSION"
  cat > "$d/site/index.html" <<'HTML'
<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Shop API</title></head>
<body><h1>Shop API</h1><p>Каталог товаров учебного магазина.</p></body></html>
HTML
  printf 'ok\n' > "$d/site/healthz"
  cat > "$d/README.md" <<'MD'
# shop

Учебный сервис магазина для Registry Lab. Образ собирается командой

    docker build -t shop/api:dev .

и отдаёт статические файлы на порту 8080.
MD
}

# git init + one commit with a fixed identity and date (deterministic hash). Run as the
# owner of <dir> (the learner for ~/shop).
shop_commit() {
  local d="$1"
  (
    cd "$d"
    export GIT_AUTHOR_NAME="Shop Team" GIT_AUTHOR_EMAIL="team@shop.example" \
      GIT_COMMITTER_NAME="Shop Team" GIT_COMMITTER_EMAIL="team@shop.example" \
      GIT_AUTHOR_DATE="2026-03-02T10:00:00+0300" GIT_COMMITTER_DATE="2026-03-02T10:00:00+0300"
    git init -q -b main .
    git config user.name "Shop Team"
    git config user.email "team@shop.example"
    git add -A
    git commit -q -m "shop api 1.4.2: каталог и проверка здоровья"
  )
}

# Recreates ~/shop as a fresh git repository with one commit, owned by the learner.
shop_reset_repo() {
  local d="$RL_HOME/shop"
  clear_learner_dir "$d" "$d/site"
  learner_dir "$d"
  as_learner bash -c "$(declare -f shop_write_sources shop_commit); shop_write_sources '$d' && shop_commit '$d'"
}

# Builds shop/api:dev from <dir> (a git repo), labelled with its HEAD commit. Prints the commit.
shop_build_dev() {
  local d="$1" rev
  rev=$(git -c safe.directory='*' -C "$d" rev-parse HEAD)
  ensure_busybox
  docker build -q --label "org.opencontainers.image.revision=$rev" -t "$SHOP_IMAGE" "$d" >/dev/null
  echo "$rev"
}

# Makes shop/api:dev the shop image again: builds it from a private copy of the same sources
# (the learner's ~/shop may have been changed; it is not used). Always, not only when missing:
# an attempt may have put another image under the name. The build cache makes it quick and
# gives the same image as before.
ensure_shop_dev() {
  local tmp
  tmp=$(mktemp -d)
  shop_write_sources "$tmp"
  shop_commit "$tmp" >/dev/null
  shop_build_dev "$tmp" >/dev/null
  rm -rf "$tmp"
}

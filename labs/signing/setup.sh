#!/usr/bin/env bash
# Лаба signing: публикует localhost:5000/shop/api:1.4.2 (образ shop/api:dev, как в лабе tagging) и
# очищает ~/keys. От root, идемпотентно:
# повторный запуск возвращает тег 1.4.2 к исходному образу.
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
. "$REGISTRY_LAB_LIB/shop.sh"
clear_learner_dir "$RL_HOME/keys"
# Пары ключей, созданные попытками в других папках (~/tmp-keys…), тоже: иначе повторный
# cosign generate-key-pair там спросит, перезаписать ли ключ, как не было бы на чистом старте.
find "$RL_HOME" -mindepth 1 -path "$RL_HOME/.*" -prune -o -type f \( -name cosign.key -o -name cosign.pub \) -exec rm -f -- {} +
# The same image the tagging lab releases as 1.4.2 (shop/api:dev), so the two labs agree on
# what 1.4.2 is and doing one never undoes the other.
ensure_shop_dev
docker tag "$SHOP_IMAGE" localhost:5000/shop/api:1.4.2
docker push -q localhost:5000/shop/api:1.4.2 >/dev/null

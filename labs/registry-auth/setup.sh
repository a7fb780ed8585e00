#!/usr/bin/env bash
# Лаба registry-auth (от root, идемпотентно): выход из реестров (сохранённый пароль от прошлого
# запуска больше не подходит), снятие локальных имён team/api, образ shop/api:dev.
# (Пароль рождается вместе с реестром на localhost:5001, поэтому их и ~/registry-password.txt
# создаёт reset в lab.ts.)
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
. "$REGISTRY_LAB_LIB/shop.sh"

learner_logout localhost:5001
remove_local_repo localhost:5001/team/api
remove_local_repo localhost:5000/team/api
ensure_shop_dev

#!/usr/bin/env bash
# Лаба save-load (от root, идемпотентно): образ shop/api:dev на месте (собирается, если его
# нет), каталога ~/transfer нет.
set -euo pipefail
. "$REGISTRY_LAB_LIB/common.sh"
. "$REGISTRY_LAB_LIB/shop.sh"

clear_learner_dir "$RL_HOME/transfer"
ensure_shop_dev

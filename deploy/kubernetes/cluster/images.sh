#!/usr/bin/env bash
# Copies Docker images into the running test cluster's node (docker save |
# ctr import), skipping those it already has with the same id.
#   images.sh [IMAGE...]   default: the images up.sh imports (node-config.sh)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
. "$here/node-config.sh"
[ -S "$CTRD_SOCK" ] || die "the cluster is not running (no $CTRD_SOCK): run $here/up.sh"
for img in ${*:-${IMAGES:-$DEFAULT_IMAGES}}; do import_docker_image "$img"; done

#!/usr/bin/env bash
# Checks the node half of the cluster without the Kubernetes binaries: starts
# only the second containerd with the node's real configuration (base runtime
# spec, CNI bridge, pause image, imported busybox), drives it through CRI
# v1alpha2 as kubelet 1.20 would (client-check/cri-check.mjs), then stops
# everything with down.sh. Needs: npm install --prefix client-check.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
NODE=${NODE:-$(cd "$here/../../.." && pwd)/node_modules/node/bin/node}
[ -x "$NODE" ] || NODE=$(command -v node)
[ ! -e "$K8S_STATE/pids" ] || die "a cluster seems to be running ($K8S_STATE exists): run $here/down.sh first"
trap '"$here/down.sh" >&2 || true; rm -rf "${proto:-}"' EXIT
BIN=${K8S_BIN:-}
mkdir -p "$K8S_STATE"/{pki,logs,pids,host,kubelet,cni/net.d,cni/ipam,containerd}
. "$here/host-state.sh"
host_record "$K8S_STATE/host"
. "$here/node-config.sh"
# pause: from the built binaries if there, else compiled from the source now.
proto=$(mktemp -d /tmp/rlk8s-proto.XXXXXX)
orig=$(ls "$K8S_CACHE"/src/kubernetes_*.orig.tar.gz 2>/dev/null | head -n1)
[ -n "$orig" ] || die "no source in $K8S_CACHE/src: run build.sh (or its apt-get source step) first"
tar -xzf "$orig" -C "$proto" --strip-components=1 --wildcards \
  '*/staging/src/k8s.io/cri-api/pkg/apis/runtime/v1alpha2/api.proto' \
  '*/vendor/github.com/gogo/protobuf/gogoproto/gogo.proto' '*/build/pause/linux/pause.c'
if [ -z "$BIN" ]; then
  BIN=$proto/bin; mkdir -p "$BIN"
  gcc -Os -Wall -Werror -static -DVERSION=v3.4.1-registry-lab -o "$BIN/pause" "$proto/build/pause/linux/pause.c"
fi
write_node_config "$BIN"
setsid /usr/bin/containerd --config "$K8S_STATE/containerd/config.toml" >"$K8S_STATE/logs/containerd.log" 2>&1 </dev/null &
echo $! >"$K8S_STATE/pids/containerd.pid"
for ((i = 0; i < 150; i++)); do ctr --address "$CTRD_SOCK" version >/dev/null 2>&1 && break; sleep 0.2; done
import_pause "$BIN/pause"
import_docker_image registry-lab/busybox:latest
cd "$here/client-check"
"$NODE" cri-check.mjs "$CTRD_SOCK" "/$CGROUP_ROOT/node-check" \
  "$K8S_STATE/kubelet/seccomp/registry-lab/rootless-engine.json" "$proto"

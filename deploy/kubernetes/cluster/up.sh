#!/usr/bin/env bash
# Starts the single-node test cluster on loopback: etcd, kube-apiserver (HTTPS,
# static token, RBAC, service-account key), controller-manager, scheduler, and a
# node (kubelet + a second containerd + the CNI bridge). Builds or reuses the
# binaries first. All state under $K8S_STATE; ./down.sh undoes everything.
# Prints the admin kubeconfig path on stdout when the node is Ready.
# Images to import: IMAGES="registry-lab/busybox:latest ..." (Docker names;
# default: node-config.sh DEFAULT_IMAGES). images.sh adds more to a running cluster.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

[ ! -e "$K8S_STATE/pids" ] || die "a cluster seems to be running ($K8S_STATE exists): run $here/down.sh first"
t0=$SECONDS
# K8S_BIN: a folder with the four binaries and pause, instead of building.
BIN=${K8S_BIN:-$("$here/build.sh")}
# shellcheck disable=SC2086
ensure_packages $NODE_PACKAGES
t_start=$SECONDS

mkdir -p "$K8S_STATE"/{pki,logs,pids,host,kubelet,cni/net.d,cni/ipam,containerd}
chmod 700 "$K8S_STATE"
started=0
on_exit() {
  [ "$started" = 1 ] && return
  log "start failed; last lines of the logs:"
  tail -n 5 "$K8S_STATE"/logs/*.log >&2 2>/dev/null || true
  if [ -n "${KEEP_FAILED:-}" ]; then log "KEEP_FAILED set: left running for inspection"; return; fi
  "$here/down.sh" >&2 || true
}
trap on_exit EXIT

. "$here/host-state.sh"
host_record "$K8S_STATE/host"

. "$here/pki.sh"
make_pki "$K8S_STATE/pki"

start() { # name command...: runs detached, pid in pids/<name>.pid, log in logs/<name>.log
  local name=$1; shift
  setsid "$@" >"$K8S_STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$K8S_STATE/pids/$name.pid"
}
wait_for() { # name seconds command...: fails at once if any daemon started so far died
  local what=$1 secs=$2; shift 2
  local end=$((SECONDS + secs)) pidf
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for pidf in "$K8S_STATE"/pids/*.pid; do
      [ -f "$pidf" ] && ! kill -0 "$(cat "$pidf")" 2>/dev/null && die "$(basename "$pidf" .pid) exited (see $K8S_STATE/logs/$(basename "$pidf" .pid).log)"
    done
    sleep 0.2
  done
  die "$what not ready after ${secs}s"
}
P=$K8S_STATE/pki
TOKEN=$(cat "$P/admin.token")
api() { curl -sf --max-time 10 --cacert "$P/ca.crt" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$APISERVER_PORT$1"; }

log "starting etcd on 127.0.0.1:$ETCD_CLIENT_PORT"
mkdir -m 700 "$K8S_STATE/etcd" # etcd 3.4 refuses a data dir other than 0700
start etcd /usr/bin/etcd --name rlk8s --data-dir "$K8S_STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "rlk8s=http://127.0.0.1:$ETCD_PEER_PORT" \
  --quota-backend-bytes $((512 * 1024 * 1024)) --auto-compaction-retention 1h
wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

GATES=ProcMountType=true
log "starting kube-apiserver on https://127.0.0.1:$APISERVER_PORT"
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" --insecure-port 0 \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
  --client-ca-file "$P/ca.crt" --token-auth-file "$P/tokens.csv" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$P/ca.crt" --kubelet-preferred-address-types Hostname \
  --allow-privileged=false --profiling=false --feature-gates "$GATES" \
  --cert-dir "$K8S_STATE/pki/apiserver-generated"
wait_for kube-apiserver 300 api /readyz

log "starting kube-controller-manager and kube-scheduler"
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig "$P/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$P/controller-manager.kubeconfig" --authorization-kubeconfig "$P/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$CM_PORT" --port 0 --cert-dir "$K8S_STATE/pki/cm-generated" \
  --leader-elect=false --use-service-account-credentials \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
  --profiling=false --feature-gates "$GATES"
start kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig "$P/scheduler.kubeconfig" \
  --authentication-kubeconfig "$P/scheduler.kubeconfig" --authorization-kubeconfig "$P/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --port 0 --cert-dir "$K8S_STATE/pki/sched-generated" \
  --leader-elect=false --profiling=false --feature-gates "$GATES"

. "$here/node-config.sh"
write_node_config "$BIN"
log "starting containerd (socket $CTRD_SOCK)"
start containerd /usr/bin/containerd --config "$K8S_STATE/containerd/config.toml"
wait_for containerd 30 ctr --address "$CTRD_SOCK" version
import_pause "$BIN/pause"
for img in ${IMAGES:-$DEFAULT_IMAGES}; do import_docker_image "$img"; done

# shellcheck disable=SC2086
iptables -C $POD_FORWARD_RULE 2>/dev/null || iptables -I $POD_FORWARD_RULE

log "starting kubelet (node localhost)"
# --containerd (deprecated, cAdvisor's): stats from our containerd, never
# from Docker's default /run/containerd/containerd.sock.
start kubelet "$BIN/kubelet" --config "$K8S_STATE/kubelet/config.yaml" \
  --kubeconfig "$P/kubelet.kubeconfig" --root-dir "$K8S_STATE/kubelet" \
  --container-runtime remote --container-runtime-endpoint "unix://$CTRD_SOCK" \
  --image-service-endpoint "unix://$CTRD_SOCK" --runtime-request-timeout 10m \
  --containerd "$CTRD_SOCK" \
  --hostname-override localhost \
  --pod-infra-container-image "$PAUSE_IMAGE" \
  --volume-plugin-dir "$K8S_STATE/kubelet/volume-plugins" \
  --seccomp-profile-root "$K8S_STATE/kubelet/seccomp" \
  --cert-dir "$K8S_STATE/kubelet/pki" --v 1
node_ready() { api /api/v1/nodes/localhost | python3 -c 'import json,sys; n=json.load(sys.stdin); sys.exit(0 if any(c["type"]=="Ready" and c["status"]=="True" for c in n["status"]["conditions"]) else 1)'; }
wait_for kubelet 300 node_ready
wait_for kube-controller-manager 120 api /api/v1/namespaces/default/serviceaccounts/default
started=1
echo "$((SECONDS - t_start))" >"$K8S_STATE/ready-seconds"
log "cluster ready in $((SECONDS - t_start)) s after the build step ($((SECONDS - t0)) s in all)"
log "kubectl --kubeconfig $K8S_STATE/admin.kubeconfig get nodes"
echo "$K8S_STATE/admin.kubeconfig"

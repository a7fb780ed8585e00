#!/usr/bin/env bash
# Stops the test cluster and leaves the host as it was before up.sh: deletes the
# pods (so the CNI plugin releases addresses and network namespaces), stops the
# daemons it started (by their recorded pids), kills leftover pod processes,
# unmounts, removes cgroups, the bridge and the directories the node created,
# writes back the sysctls the kubelet changed, removes $K8S_STATE.
# Safe to run twice and after a failed start.
# --if-stale: only clean up after a cluster whose daemons are all gone (the
# machine stopped mid-run); exits 3 and touches nothing while one still runs.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
set +e
. "$here/host-state.sh"

P=$K8S_STATE/pki
# A recorded pid counts only while it is still that daemon (pids are reused after a reboot).
is_daemon() { kill -0 "$2" 2>/dev/null && tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null | grep -q -- "$1"; } # name pid
running() { local f=$K8S_STATE/pids/$1.pid; [ -f "$f" ] && is_daemon "$1" "$(cat "$f")"; }
stop_daemon() { # name [seconds]
  local f=$K8S_STATE/pids/$1.pid pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if is_daemon "$1" "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < ${2:-10} * 5; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "$1 did not stop, killing"; kill -KILL "$pid" 2>/dev/null; sleep 0.2; }
  fi
  rm -f "$f"
}
ctrd() { ctr --address "$K8S_STATE/containerd/containerd.sock" -n k8s.io "$@"; }

if [ ! -d "$K8S_STATE" ]; then log "nothing to stop ($K8S_STATE absent)"; exit 0; fi
if [ "${1:-}" = --if-stale ]; then
  for f in "$K8S_STATE"/pids/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); pid=$(cat "$f")
    if is_daemon "$name" "$pid"; then
      log "a cluster is running ($name, pid $pid): not touching it"
      exit 3
    fi
  done
  log "cleaning up after a cluster that ended without down.sh ($K8S_STATE left behind)"
fi

# 1. Pods first, while the kubelet and containerd still run, so that sandbox
#    teardown (CNI DEL, netns removal) happens the normal way.
if running kube-apiserver && running kubelet && [ -f "$P/admin.token" ]; then
  TOKEN=$(cat "$P/admin.token")
  api() { curl -sf --max-time 10 --cacert "$P/ca.crt" -H "Authorization: Bearer $TOKEN" "$@"; }
  base=https://127.0.0.1:$APISERVER_PORT
  for ns in $(api "$base/api/v1/namespaces" | python3 -c 'import json,sys; print(" ".join(i["metadata"]["name"] for i in json.load(sys.stdin)["items"]))'); do
    api -X DELETE "$base/api/v1/namespaces/$ns/pods?gracePeriodSeconds=1" >/dev/null
  done
  for ((i = 0; i < 150; i++)); do
    n=$(api "$base/api/v1/pods" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null || echo 0)
    [ "$n" = 0 ] && break
    sleep 0.2
  done
  # Wait for the sandboxes' network namespaces to go (StopPodSandbox).
  for ((i = 0; i < 100; i++)); do
    ls /var/run/netns/cni-* >/dev/null 2>&1 || break
    comm -13 "$K8S_STATE/host/netns" <(ls -1 /var/run/netns | sort) | grep -q '^cni-' || break
    sleep 0.2
  done
fi

stop_daemon kubelet 15
# 2. Whatever still runs in our containerd.
if running containerd; then
  for id in $(ctrd tasks ls -q 2>/dev/null); do ctrd tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  sleep 1
  for id in $(ctrd tasks ls -q 2>/dev/null); do ctrd tasks delete -f "$id" >/dev/null 2>&1; done
fi
for d in kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do stop_daemon "$d" 15; done
# 3. Shims of our containerd (they outlive it by design), found by our socket.
# (The [.] keeps grep from matching its own command line.)
for f in $(grep -lsa -- "$K8S_STATE/containerd/containerd[.]sock" /proc/[0-9]*/cmdline); do
  p=${f#/proc/}; p=${p%/cmdline}
  kill -KILL "$p" 2>/dev/null
done
sleep 0.5

host_restore "$K8S_STATE/host"
if awk -v s="$K8S_STATE" 'index($5, s) == 1 {f=1} END {exit !f}' /proc/self/mountinfo; then
  log "mounts remain under $K8S_STATE; not removing it"
  exit 1
fi
rm -rf "$K8S_STATE"
log "stopped; host restored"

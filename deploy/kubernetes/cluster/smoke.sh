#!/usr/bin/env bash
# Smoke test of the test cluster (not wired into npm test): snapshot the host,
# start the cluster, create a namespace, run a busybox pod, exec into it with a
# TTY, read its logs, delete it, run the client-node check, stop the cluster,
# and compare the host with the snapshot. Prints the measured figures.
# Exit 0 only if every step passed and the host is as before.
# Needs kubectl (any recent version; KUBECTL=path to choose one) and the
# client-check dependencies (npm install --prefix client-check).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
set +e +o pipefail # every step is checked and reported below
NODE=${NODE:-$(cd "$here/../../.." && pwd)/node_modules/node/bin/node}
[ -x "$NODE" ] || NODE=$(command -v node)
snap=$(mktemp -d /tmp/rlk8s-smoke.XXXXXX)
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$here/host-snapshot.sh" "$snap/before"
trap '"$here/down.sh" >/dev/null 2>&1 || true; rm -rf "$snap"' EXIT

t=$SECONDS
KCFG=$("$here/up.sh" 2>"$snap/up.log") || { tail -30 "$snap/up.log"; echo "FAIL up.sh"; exit 1; }
up_secs=$((SECONDS - t))
ready=$(cat "$K8S_STATE/ready-seconds")
build_line=$(grep -E 'reusing|built in' "$snap/up.log" | tail -1)
rss() { local f=$K8S_STATE/pids/$1.pid; awk '/VmRSS/{print $2}' "/proc/$(cat "$f")/status" 2>/dev/null || echo 0; }
cp_kb=0; for d in etcd kube-apiserver kube-controller-manager kube-scheduler; do cp_kb=$((cp_kb + $(rss $d))); done
node_kb=$(( $(rss kubelet) + $(rss containerd) ))

KUBECTL=${KUBECTL:-kubectl}
k() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }
ns=smoke-$RANDOM
check "node Ready" "k get node localhost -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
check "namespace created" "k create namespace $ns >/dev/null"
cat <<YAML | k apply -n "$ns" -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: box, labels: {app: smoke}}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: box
    image: registry-lab/busybox:latest
    imagePullPolicy: Never
    command: [sh, -c, 'echo smoke-log-line; exec sleep 3600']
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 200m, memory: 64Mi}}
YAML
check "busybox pod Ready" "k wait -n $ns --for=condition=Ready pod/box --timeout=120s >/dev/null"
# script gives kubectl a terminal (of a set size: it has none of its own here);
# the resize reaches the Pod's terminal shortly after the start, hence the sleep.
tty_out=$(script -qec "stty cols 120 rows 40; $KUBECTL --kubeconfig $KCFG exec -it -n $ns box -- sh -c 'sleep 2; tty; echo rows-cols \$(stty size)'" /dev/null </dev/null 2>&1 | tr -d '\r\000')
check "exec with a TTY" "grep -q '^/dev/pts/' <<<\"\$tty_out\" && grep -q '^rows-cols 40 120' <<<\"\$tty_out\""
grep -q '^rows-cols 40 120' <<<"$tty_out" || sed 's/^/     /' <<<"$tty_out"
check "logs" "k logs -n $ns box | grep -qx smoke-log-line"
check "pod deleted" "k delete -n $ns pod box --wait=true --timeout=60s >/dev/null && ! k get -n $ns pod box >/dev/null 2>&1"
check "namespace deleted" "k delete namespace $ns --wait=true --timeout=60s >/dev/null"
echo "--- client-node check"
if [ -d "$here/client-check/node_modules/@kubernetes/client-node" ]; then
  check "client-node check" "'$NODE' '$here/client-check/check.mjs' '$KCFG' | sed 's/^/     /'; test \${PIPESTATUS[0]} -eq 0"
else
  echo "skip client-node check (run: npm install --prefix $here/client-check)"
fi

t=$SECONDS
"$here/down.sh" 2>"$snap/down.log" || { tail -20 "$snap/down.log"; fail=1; }
down_secs=$((SECONDS - t))
sleep 1
if "$here/host-snapshot.sh" --compare "$snap/before"; then echo "ok   host as before"; else fail=1; fi
echo "--- figures"
echo "build step: ${build_line#*] }"
echo "cluster ready after the build step: ${ready} s (up.sh in all: ${up_secs} s)"
echo "control plane RSS (etcd, apiserver, controller-manager, scheduler): $((cp_kb / 1024)) MiB"
echo "node RSS (kubelet, containerd): $((node_kb / 1024)) MiB"
echo "down.sh: ${down_secs} s"
[ $fail = 0 ] && echo "SMOKE PASSED" || echo "SMOKE FAILED"
exit $fail

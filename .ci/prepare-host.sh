#!/usr/bin/env bash
# Prepares a fresh Debian machine for Registry Lab: packages, a running dockerd, Node 22 (via npm).
# Idempotent: every step checks first. Run as root.
set -euo pipefail

log() { printf '[prepare-host] %s\n' "$*"; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v git >/dev/null 2>&1 || need+=(git)
# Session disk quotas (runner/src/docker/quota.ts): loop devices and ext4 images.
command -v losetup >/dev/null 2>&1 || need+=(util-linux)
{ command -v mkfs.ext4 && command -v debugfs; } >/dev/null 2>&1 || need+=(e2fsprogs)
# Red-team tests: a compiler for the open_by_handle_at probe, iproute2 for test network namespaces.
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# Operations tests (tests/deploy/https-caddy.test.ts, tests/operations/prometheus.test.ts): the reverse
# proxies an operator uses, certutil to trust Caddy's test CA in Chromium, and Prometheus.
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || need+=(prometheus)
# npm brings Node 22 itself (package.json devDependency "node"); any Node >= 18 can start it.
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  log "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" ca-certificates >/dev/null
  # The packages start their services where systemd runs; the tests start their own on free ports.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for unit in caddy nginx prometheus; do
      case " ${need[*]} " in *" $unit"*) systemctl disable --now "$unit" >/dev/null 2>&1 || true ;; esac
    done
  fi
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  # A dedicated address pool gives room for many session networks (one /24 each).
  # No per-uid process ceiling, as Debian's docker.service (LimitNPROC=infinity): every workstation
  # is uid 1000, so a finite one would be shared by all sessions (docs/security.md).
  ulimit -Hu unlimited && ulimit -Su unlimited
  nohup dockerd --default-address-pool base=10.213.0.0/16,size=24 >/var/log/registry-lab-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start"; tail -50 /var/log/registry-lab-dockerd.log; exit 1; }
fi
log "docker engine $(docker version --format '{{.Server.Version}}')"
# The rootless inner engines need unprivileged user namespaces and /dev/net/tun.
[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] || log "WARNING: user.max_user_namespaces is 0: workstations cannot start their engine"
[ -c /dev/net/tun ] || { modprobe tun 2>/dev/null || log "WARNING: no /dev/net/tun: workstations cannot start their engine"; }

# The Kubernetes test cluster (deploy/kubernetes/cluster/, started by `npm test` for tests/kubernetes):
# Go and the build packages, etcd, a second containerd, the CNI plugins, a deb-src entry for bookworm
# and the kubernetes source package. The binaries themselves are built by the test command's first run
# (about 10 minutes on 2 idle cores) and reused from /var/cache/registry-lab/k8s afterwards.
log "Kubernetes test cluster: packages and source"
"$(dirname "$0")/../deploy/kubernetes/cluster/build.sh" --prepare

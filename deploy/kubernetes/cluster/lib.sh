# Shared settings for the test cluster scripts (sourced, not run).
# Everything the cluster writes at run time lives under K8S_STATE; build
# products live under K8S_CACHE (outside the repository, reused across runs).
set -euo pipefail

K8S_CACHE=${K8S_CACHE:-/var/cache/registry-lab/k8s}
K8S_STATE=${K8S_STATE:-/var/lib/registry-lab-k8s}
# Debian 12's Kubernetes source package (1.20.5+really1.20.2-1.1+deb12u1 when
# written); the build is keyed by its .dsc hash. Set K8S_SRC_VERSION to pin.
K8S_SRC_PKG=kubernetes
K8S_SRC_VERSION=${K8S_SRC_VERSION:-}

# Ports, all on 127.0.0.1. Chosen away from the runner's and the other
# helpers' ports and from the Kubernetes defaults a real node might use.
ETCD_CLIENT_PORT=${ETCD_CLIENT_PORT:-23790}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-23800}
APISERVER_PORT=${APISERVER_PORT:-16443}
KUBELET_PORT=${KUBELET_PORT:-20250}
KUBELET_HEALTHZ_PORT=${KUBELET_HEALTHZ_PORT:-20248}
CM_PORT=${CM_PORT:-20257}
SCHED_PORT=${SCHED_PORT:-20259}
# Pod and service ranges: clear of Docker's 172.17.0.0/16 and 10.213.0.0/16.
POD_CIDR=${POD_CIDR:-10.244.0.0/24}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/24}
CNI_BRIDGE=${CNI_BRIDGE:-rlk8s0}

# Second containerd: never Docker's /run/containerd or /var/lib/containerd.
CTRD_ROOT=$K8S_STATE/containerd/root
CTRD_STATE=$K8S_STATE/containerd/state
CTRD_SOCK=$K8S_STATE/containerd/containerd.sock

# Debian packages: to build the binaries, and to run the cluster.
BUILD_PACKAGES="golang-go dpkg-dev gcc libc6-dev golang-github-modern-go-reflect2-dev"
NODE_PACKAGES="etcd-server containerd containernetworking-plugins openssl iptables iproute2 python3 curl"

log() { printf '[k8s-cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root"; }
ensure_packages() { # installs those of the named Debian packages that are missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
  fi
}

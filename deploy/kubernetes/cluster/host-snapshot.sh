#!/usr/bin/env bash
# What of the host the test cluster could change, in a folder of small files,
# so that a run can be checked to leave the host as it found it.
#   host-snapshot.sh DIR             writes the snapshot into DIR
#   host-snapshot.sh --compare DIR   takes a new one, prints what differs from DIR,
#                                    exits 1 when something does
# Only the cluster's own traces are looked at (its cgroups, bridge, netns,
# mounts, processes, paths; sysctls; iptables outside Docker's chains), so the
# other users of a shared Docker engine do not show up as changes.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
set +e +o pipefail

host_snapshot() { # dir: only what this cluster could change, so that other
  # people's Docker containers on the same machine do not show up as changes.
  local d=$1; mkdir -p "$d"
  sysctl -a 2>/dev/null | grep -vE '^(kernel\.random\.|fs\.(dentry|inode|file)-|kernel\.ns_last_pid|kernel\.pty\.nr|net\.netfilter\.nf_conntrack_count|fs\.quota\.|kernel\.sched_domain)' \
    | grep -vE '^net\.ipv[46]\.(conf|neigh)\.' >"$d/sysctl"
  sysctl -a 2>/dev/null | grep -E '^net\.ipv[46]\.(conf|neigh)\.(all|default|lo|eth0)\.' >>"$d/sysctl"
  awk '{print $5}' /proc/self/mountinfo | grep -E 'registry-lab-k8s|/netns/cni-|kubelet|/var/log/pods|/run/containerd/runc/k8s.io' | sort >"$d/mounts"
  find /sys/fs/cgroup -maxdepth 3 -type d \( -name registry-lab-k8s -o -name 'kubepods*' \) | sort >"$d/cgroups"
  { for n in etcd kubelet kube-apiserver kube-controller kube-scheduler; do pgrep -x -a "$n"; done
    grep -lsa "registry-lab-k8[s]" /proc/[0-9]*/cmdline | cut -d/ -f3 | grep -vx -e "$$" -e "$PPID" || true; } | sort >"$d/procs"
  for t in filter nat mangle raw; do
    echo "$t $(iptables -t $t -S 2>/dev/null | grep -vE 'DOCKER|docker0|br-[0-9a-f]{12}' | wc -l)"
  done >"$d/iptables"
  { ip -o link show | grep -E "$CNI_BRIDGE|master $CNI_BRIDGE" || true; } >"$d/links"
  { ls -1 /var/run/netns 2>/dev/null | grep '^cni-' || true; } >"$d/netns"
  for p in /var/log/pods /var/log/containers /var/lib/cni /var/lib/kubelet /etc/kubernetes /var/run/kubernetes \
    /usr/libexec/kubernetes /etc/cni /opt/cni /opt/containerd "$K8S_STATE"; do [ -e "$p" ] && echo "$p"; done >"$d/paths"
}

if [ "${1:-}" = --compare ]; then
  before=$2; [ -d "$before" ] || die "no snapshot in $before"
  after=$(mktemp -d /tmp/rlk8s-host.XXXXXX)
  host_snapshot "$after"
  fail=0
  for f in sysctl mounts cgroups procs iptables links netns paths; do
    if ! diff -u "$before/$f" "$after/$f" >"$after/$f.diff"; then
      echo "host $f changed:"; sed -n '3,$p' "$after/$f.diff" | grep '^[-+]' | head -20 | sed 's/^/  /'; fail=1
    fi
  done
  rm -rf "$after"
  exit $fail
fi
[ -n "${1:-}" ] || die "usage: $0 DIR | --compare DIR"
host_snapshot "$1"
exit 0

# What the node changes on the host, recorded before start and put back by
# down.sh (sourced). The kubelet writes sysctls, and the kubelet, containerd
# and the CNI plugins leave directories, mounts, network namespaces, links and
# cgroups behind.

HOST_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward
net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables"
# Fixed paths the kubelet, containerd or libcni create when missing.
HOST_PATHS="/var/log/pods /var/log/containers /var/lib/cni /var/lib/kubelet /etc/kubernetes
/var/run/kubernetes /usr/libexec/kubernetes /etc/cni /opt/cni /opt/containerd /var/lib/dockershim /var/run/netns"

host_record() {
  local d=$1 k
  mkdir -p "$d"
  : >"$d/sysctl"
  for k in $HOST_SYSCTLS; do
    if v=$(sysctl -n "$k" 2>/dev/null); then echo "$k=$v" >>"$d/sysctl"; fi
  done
  : >"$d/paths"
  for k in $HOST_PATHS; do [ -e "$k" ] && echo "$k" >>"$d/paths"; done
  ls -1 /var/run/netns 2>/dev/null | sort >"$d/netns" || true
  local t
  for t in filter nat; do
    iptables -t "$t" -S 2>/dev/null | awk '/^-N KUBE-/{print $2}' >"$d/kube-chains-$t" || true
  done
}

# Docker sets the FORWARD policy to DROP, and with br_netfilter bridged frames
# go through it: Pod-to-Pod traffic on the node's bridge needs this one rule.
POD_FORWARD_RULE="FORWARD -i $CNI_BRIDGE -o $CNI_BRIDGE -m comment --comment registry-lab-k8s -j ACCEPT"

_kill_pids() { # signal pid...
  local sig=$1; shift
  [ $# -gt 0 ] || return 0
  kill "-$sig" "$@" 2>/dev/null || true
}

host_restore() {
  local d=$1 line p cg m
  [ -d "$d" ] || { log "no host record in $d: restoring what can be found"; mkdir -p "$d"; touch "$d/sysctl" "$d/paths" "$d/netns"; }

  # Processes still in the cluster's cgroups (pod processes whose shim died).
  for cg in /sys/fs/cgroup/*/registry-lab-k8s; do
    [ -d "$cg" ] || continue
    _kill_pids KILL $(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  done
  sleep 0.5

  # Mounts under the state directory, deepest first.
  awk -v s="$K8S_STATE" '$5 == s || index($5, s "/") == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
  # Network namespaces the CRI plugin pinned (cni-*) that were not there before.
  for p in /var/run/netns/cni-*; do
    [ -e "$p" ] || continue
    grep -qx "$(basename "$p")" "$d/netns" && continue
    umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true
    rm -f "$p"
  done
  ip link del "$CNI_BRIDGE" 2>/dev/null || true

  # cgroups, deepest first.
  for cg in /sys/fs/cgroup/*/registry-lab-k8s; do
    [ -d "$cg" ] || continue
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ ! -d "$cg" ] || log "cgroup $cg still busy"
  done

  # shellcheck disable=SC2086
  while iptables -C $POD_FORWARD_RULE 2>/dev/null; do iptables -D $POD_FORWARD_RULE || break; done

  # KUBE-* iptables chains (none expected: makeIPTablesUtilChains is off).
  local t c
  for t in filter nat; do
    for c in $(iptables -t "$t" -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do
      grep -q "^$c\$" "$d/kube-chains-$t" 2>/dev/null && continue
      iptables -t "$t" -S | grep -e "-j $c\( \|\$\)" | grep '^-A' | sed 's/^-A/-D/' | while read -r line; do
        eval "iptables -t $t $line" || true
      done
      iptables -t "$t" -F "$c" 2>/dev/null || true
      iptables -t "$t" -X "$c" 2>/dev/null || true
    done
  done

  while IFS= read -r line; do
    [ -n "$line" ] && sysctl -q -w "$line" >/dev/null 2>&1 || true
  done <"$d/sysctl"

  for p in $HOST_PATHS; do
    if [ -e "$p" ] && ! grep -qx "$p" "$d/paths"; then
      if [ "$p" = /var/run/netns ]; then rmdir "$p" 2>/dev/null || log "$p not empty, kept"; else rm -rf "$p"; fi
    fi
  done
}

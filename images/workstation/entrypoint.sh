#!/bin/bash
# Starts the workstation's own Docker engine without --privileged.
# MIRROR_URL: the runner's read-only mirror (registry-mirrors of the inner engine).
set -u
log() { echo "[sandbox] $*" >&2; }

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2 (private cgroupns): move ourselves to a child group so controllers can be delegated.
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
else
  # cgroup v1: Docker mounts each hierarchy read-only in a container; dockerd needs them writable.
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
  while read -r _ mnt fstype opts _; do
    [ "$fstype" = cgroup ] || continue
    case ",$opts," in *,ro,*) ;; *) continue ;; esac
    sub=$(tr ',' '\n' <<<"$opts" | grep -vxE 'ro|rw|nosuid|nodev|noexec|relatime' | paste -sd, -)
    umount "$mnt" && mount -t cgroup -o "rw,nosuid,nodev,noexec,relatime,$sub" cgroup "$mnt" \
      || log "could not remount $mnt read-write"
  done < <(cat /proc/self/mounts)
fi

mkdir -p /etc/docker
mirrors='[]'
insecure='[]'
if [ -n "${MIRROR_URL:-}" ]; then
  mirrors="[\"$MIRROR_URL\"]"
  # The classic puller accepts an http:// mirror as it is; BuildKit also needs it listed as insecure.
  host=${MIRROR_URL#*://}
  insecure="[\"${host%%/*}\"]"
fi
cat > /etc/docker/daemon.json <<JSON
{
  "registry-mirrors": $mirrors,
  "insecure-registries": $insecure,
  "log-driver": "json-file",
  "log-opts": { "max-size": "5m", "max-file": "2" },
  "features": { "buildkit": true }
}
JSON

rm -f /var/run/docker.pid /run/sandbox-ready
dockerd >/var/log/dockerd.log 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  if docker info >/dev/null 2>&1; then touch /run/sandbox-ready; break; fi
  kill -0 "$pid" 2>/dev/null || { log "dockerd exited"; tail -20 /var/log/dockerd.log >&2; exit 1; }
  sleep 0.1
done
[ -f /run/sandbox-ready ] || log "dockerd is slow to start"
trap 'kill -TERM $pid; wait $pid' TERM INT
wait "$pid"

#!/bin/bash
# The learner's dockerd, run by dockerd-rootless.sh inside rootlesskit's namespaces (DOCKERD, set
# by the entrypoint). containerd is started first and dockerd is handed its socket once it listens:
# a dockerd that starts containerd itself dials it before it listens, and gRPC's reconnect backoff
# then waits a whole second, 40 % of a cold start (issue 19). The paths and settings are those
# dockerd gives the containerd it manages, so an engine's data reads the same either way; and as
# dockerd did, this starts containerd again if it ends (killed by the learner or out of memory).
set -u
dir=$XDG_RUNTIME_DIR/docker/containerd
sock=$dir/containerd.sock
mkdir -p "$dir"
cat >"$dir/containerd.toml" <<TOML
version = 2
root = "$HOME/.local/share/docker/containerd/daemon"
state = "$dir/daemon"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt"]

[grpc]
  address = "$sock"

[debug]
  address = "$dir/containerd-debug.sock"
TOML

# The wait below pauses on a pipe nobody writes to, held on fd 8 (pause.sh).
. /usr/local/lib/registry-lab/pause.sh
pause_open "$dir" 8

# Starts containerd and waits until it listens (it makes its socket as it starts listening).
start_containerd() {
  rm -f "$sock"
  containerd --config "$dir/containerd.toml" --log-level warn 8<&- &
  containerd=$!
  containerd_since=$SECONDS
  until [ -S "$sock" ]; do
    kill -0 "$containerd" 2>/dev/null || return 1
    pause 0.01
  done
}

start_containerd || { echo "[sandbox] containerd exited" >&2; exit 1; }
dockerd --containerd="$sock" "$@" 8<&- &
dockerd=$!
trap 'kill -TERM "$dockerd" 2>/dev/null; wait "$dockerd"; kill -TERM "$containerd" 2>/dev/null; exit 143' TERM INT
backoff=1
while kill -0 "$dockerd" 2>/dev/null; do
  wait -n "$dockerd" "$containerd"
  kill -0 "$dockerd" 2>/dev/null || break
  kill -0 "$containerd" 2>/dev/null && continue
  # One that ran a minute ended for a reason of its own, not a start that keeps failing.
  [ $((SECONDS - containerd_since)) -lt 60 ] || backoff=1
  echo "[sandbox] containerd ended; starting it again in ${backoff} s" >&2
  sleep "$backoff"
  [ "$backoff" -ge 8 ] || backoff=$((backoff * 2))
  start_containerd || echo "[sandbox] containerd did not start" >&2
done
wait "$dockerd"
status=$?
kill -TERM "$containerd" 2>/dev/null
exit "$status"

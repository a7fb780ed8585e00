#!/bin/bash
# The learner's dockerd, run by dockerd-rootless.sh inside rootlesskit's namespaces (DOCKERD, set
# by the entrypoint). containerd is started first and dockerd is handed its socket once it listens:
# a dockerd that starts containerd itself dials it before it listens, and gRPC's reconnect backoff
# then waits a whole second, 40 % of a cold start (issue 19). The paths and settings are those
# dockerd gives the containerd it manages, so an engine's data reads the same either way.
set -eu
dir=$XDG_RUNTIME_DIR/docker/containerd
sock=$dir/containerd.sock
mkdir -p "$dir"
rm -f "$sock"
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
containerd --config "$dir/containerd.toml" --log-level warn &
containerd=$!
# containerd makes its socket as it starts listening on it.
until [ -S "$sock" ]; do
  kill -0 "$containerd" 2>/dev/null || { echo "[sandbox] containerd exited" >&2; exit 1; }
  sleep 0.01
done
exec dockerd --containerd="$sock" "$@"

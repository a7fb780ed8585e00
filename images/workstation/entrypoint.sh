#!/bin/bash
# Starts the learner's own Docker engine, rootless: dockerd runs in a user namespace made by
# rootlesskit, with slirp4netns for its network. Runs as the learner, never as root.
# MIRROR_URL: the runner's read-only mirror (registry-mirrors of the inner engine).
# REGISTRY_ADDR, REGISTRY_PORTS: the session registries live in a network namespace of their own
# (runner/src/docker/registry-netns.ts); localhost:<port> here and in the inner engine forwards to
# them, so `docker push localhost:5000/...` works. A learner who stops a forwarder and listens in
# its place fools only their own tools: the runner talks to REGISTRY_ADDR itself.
# FORWARD_PORTS: ports of this container's loopback (registries the learner runs in the inner
# engine with -p) that the inner engine reaches as localhost:<port> too.
set -u
log() { echo "[sandbox] $*" >&2; }
run=$XDG_RUNTIME_DIR
conf=$HOME/.config/docker
mkdir -p "$conf" "$HOME/.local/share/docker"
# A home of the session's own uid starts empty (the image's is not copied in): the shell's files.
for f in .bashrc .profile .bash_logout; do [ -e "$HOME/$f" ] || cp "/etc/skel/$f" "$HOME/$f" 2>/dev/null; done

mirrors='[]'
insecure='[]'
if [ -n "${MIRROR_URL:-}" ]; then
  mirrors="[\"$MIRROR_URL\"]"
  # The classic puller accepts an http:// mirror as it is; BuildKit also needs it listed as insecure.
  host=${MIRROR_URL#*://}
  insecure="[\"${host%%/*}\"]"
fi
cat > "$conf/daemon.json" <<JSON
{
  "registry-mirrors": $mirrors,
  "insecure-registries": $insecure,
  "log-driver": "json-file",
  "log-opts": { "max-size": "5m", "max-file": "2" },
  "features": { "buildkit": true }
}
JSON

rm -f "$run/sandbox-ready" "$run/docker.pid"
for port in ${REGISTRY_PORTS:-}; do
  socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "TCP:$REGISTRY_ADDR:$port" 2>>"$run/forward.log" &
done
# ROOTLESS_NET: the engine's user-mode network, slirp4netns or pasta (passt, faster).
case "${ROOTLESS_NET:-slirp4netns}" in
  pasta) export DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit ;;
  *) export DOCKERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=builtin ;;
esac
# dockerd-rootless.sh falls back to MTU 1500 once the network is named; at 65520 the user-mode TCP
# stack handles ~40x fewer packets (a 239 MB layer from the mirror: 3.1 s -> 0.3-0.5 s via slirp4netns).
export DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=65520
# 10.0.2.2 inside the engine's namespace is this container's loopback: the forwarders below use it.
export DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=false
# dockerd itself is started by sandbox-dockerd (dockerd-child.sh), which starts containerd first.
export DOCKERD=/usr/local/sbin/sandbox-dockerd
# The engine and everything it runs (builds, pushes, inner containers) at nice 10: the learner's
# shells (started by the runner at nice 0) keep the CPU while a build runs beside them.
nice -n 10 dockerd-rootless.sh >"$run/dockerd.log" 2>&1 &
pid=$!
# The waits below pause on a pipe nobody writes to, held on fd 9 (pause.sh).
. /usr/local/lib/registry-lab/pause.sh
pause_open "$run" 9
# Both waits below end the container with the engine's last words if it exits meanwhile.
engine_running() { kill -0 "$pid" 2>/dev/null || { log "dockerd exited"; tail -20 "$run/dockerd.log" >&2; exit 1; }; }
# No bound here: the runner waits with its own timeout (SESSION_START_TIMEOUT_MS) and says why.
# The socket is looked for by the shell itself and asked once it is there: a `docker info` every
# 0.1 s started a Go binary each time, CPU every cold start paid (issue 19).
sock=${DOCKER_HOST#unix://}
while true; do
  if [ -S "$sock" ] && curl -fsS --max-time 2 --unix-socket "$sock" -o /dev/null http://docker/_ping 2>/dev/null; then break; fi
  engine_running
  pause 0.05
done
child=$(cat "$run/dockerd-rootless/child_pid" 2>/dev/null || true)
if [ -n "$child" ]; then
  forward() {
    nsenter -U --preserve-credentials -n -t "$child" \
      socat "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" "TCP:$2:$1" 2>>"$run/forward.log" 9<&- &
  }
  # The session registries: a DNAT in the engine's own namespace (its root is the learner's, as for
  # the socat it replaces), so a push goes from dockerd through the kernel to slirp4netns
  # without a socat copy: 0.2 s of CPU per 100 MB, a 100 MB push 3.3 -> 2.8 s. socat where the
  # namespace refuses (e.g. a read-only /proc/sys), and with pasta, where the DNAT made a push
  # 2 to 3 times slower (4.4 to 8.0 s against 3.2 to 3.4 s with socat).
  nat_forward() {
    nsenter -U --preserve-credentials -n -m -t "$child" sh -ec '
      echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet
      iptables -w -t nat -C POSTROUTING -s 127.0.0.0/8 ! -o lo -j MASQUERADE 2>/dev/null \
        || iptables -w -t nat -A POSTROUTING -s 127.0.0.0/8 ! -o lo -j MASQUERADE
      iptables -w -t nat -A OUTPUT -d 127.0.0.1/32 -p tcp --dport "$1" -j DNAT --to-destination "$2:$1"' \
      sh "$1" "$2" 2>>"$run/forward.log"
  }
  for port in ${REGISTRY_PORTS:-}; do
    if [ "${ROOTLESS_NET:-slirp4netns}" = pasta ] || ! nat_forward "$port" "$REGISTRY_ADDR"; then forward "$port" "$REGISTRY_ADDR"; fi
  done
  for port in ${FORWARD_PORTS:-}; do forward "$port" 10.0.2.2; done
  # Every pull makes the engine look up docker.io; where Docker's embedded DNS gets no answer for it
  # (egress none/allowlist, or an upstream it cannot reach) that waited out the resolver's default
  # 2 tries x 5 s: 10 s of every pull. 1 s x 2 in the engine's own copy of /etc (rootlesskit's
  # copy-up; inner containers inherit it) costs 2 s there and changes nothing where DNS answers.
  nsenter -U --preserve-credentials -m -t "$child" sh -c \
    'grep -q "^options" /etc/resolv.conf || echo "options timeout:1 attempts:2" >> /etc/resolv.conf' 2>>"$run/forward.log" \
    || log "could not shorten the engine's DNS timeout"
  # Ready means a first push works: the session registry answers on localhost:5000 (the runner
  # applies the egress rules and starts the registry after this container), checked here so that
  # the runner needs no exec to see it (a runc exec per start, issue 19).
  tries=0
  until curl -fsS --max-time 2 -o /dev/null http://localhost:5000/v2/ 2>/dev/null; do
    engine_running
    tries=$((tries + 1))
    [ $((tries % 200)) -ne 0 ] || log "waiting for the session registry on localhost:5000"
    pause 0.05
  done
  touch "$run/sandbox-ready"
  # The runner follows this container's output for this line (runner/src/docker/sandbox.ts).
  log "ready"
else
  log "no rootlesskit child pid: localhost:5000 is not forwarded into the engine"
fi
exec 9<&-
trap 'kill -TERM $pid; wait $pid' TERM INT
wait "$pid"

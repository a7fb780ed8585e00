#!/usr/bin/env bash
# Checks, without Kubernetes, what the node gives a sandbox container: runs
# busybox with plain runc on the node's base runtime spec (containerd's default
# plus /dev/net/tun) and the sandbox seccomp profile, once with /proc unmasked and
# once masked, and tries what rootless Docker does first (a user namespace that
# mounts its own /proc; sethostname in its own UTS namespace, as inner `docker
# run` does). Expected: unmasked works, masked is refused the /proc mount.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
. "$here/node-config.sh"
IMAGE=${IMAGE:-registry-lab/busybox:latest}
b=$(mktemp -d /tmp/rlk8s-runtime.XXXXXX)
trap 'runc --root "$b/runc" delete -f rlk8s-runtime-check >/dev/null 2>&1; rm -rf "$b"' EXIT
mkdir -p "$b/rootfs" "$b/img"
docker save "$IMAGE" | tar -x -C "$b/img"
for l in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$b/img/manifest.json"); do
  tar -x -C "$b/rootfs" -f "$b/img/$l"
done
fail=0
for masked in no yes; do
  sandbox_seccomp_profile >"$b/seccomp.json"
  base_runtime_spec | MASKED=$masked SECCOMP="$b/seccomp.json" python3 -c '
import json, os, sys
s = json.load(sys.stdin)
s["linux"]["seccomp"] = json.load(open(os.environ["SECCOMP"]))
if os.environ["MASKED"] == "no":
    s["linux"]["maskedPaths"] = []; s["linux"]["readonlyPaths"] = []
s["root"] = {"path": "rootfs"}
s["process"]["terminal"] = False
s["process"]["env"] = ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"]
s["process"]["args"] = ["/bin/sh", "-c", "test -c /dev/net/tun && echo tun-ok; grep -q \"Seccomp:.*2\" /proc/self/status && echo seccomp-ok; unshare -U -r -u hostname inner 2>/dev/null && echo uts-ok; unshare -U -r -m -p -f sh -c \"mount -t proc proc /proc && mount -t tmpfs t /tmp && echo userns-ok\" 2>/dev/null"]
json.dump(s, sys.stdout)
' >"$b/config.json"
  out=$(cd "$b" && timeout 60 runc --root "$b/runc" run rlk8s-runtime-check 2>&1 || true)
  runc --root "$b/runc" delete -f rlk8s-runtime-check >/dev/null 2>&1
  echo "/proc masked=$masked: $(echo $out)"
  grep -q tun-ok <<<"$out" && grep -q seccomp-ok <<<"$out" && grep -q uts-ok <<<"$out" || fail=1
  if [ $masked = no ]; then grep -q userns-ok <<<"$out" || fail=1; else ! grep -q userns-ok <<<"$out" || fail=1; fi
done
[ $fail = 0 ] && echo "RUNTIME CHECK PASSED" || echo "RUNTIME CHECK FAILED"
exit $fail

# Node configuration for the test cluster (sourced by up.sh): the second
# containerd, the CNI bridge, the kubelet's config, the sandbox seccomp
# profile, and image import into containerd's k8s.io namespace.

PAUSE_IMAGE=registry-lab.local/pause:3.4.1
CGROUP_ROOT=registry-lab-k8s

# Base OCI spec = containerd's default plus /dev/net/tun (rootless Docker
# inside a sandbox needs it for slirp4netns/pasta). No privileged pod needed.
base_runtime_spec() {
  ctr oci spec | python3 -c '
import json, sys
s = json.load(sys.stdin)
s["linux"].pop("cgroupsPath", None)
s["linux"].setdefault("devices", []).append(
    {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 438, "uid": 0, "gid": 0})
s["linux"]["resources"]["devices"].append({"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"})
# No rlimits: containers inherit those of containerd, as without a base spec (raising
# one above the current hard limit needs CAP_SYS_RESOURCE, absent here).
s["process"].pop("rlimits", None)
json.dump(s, sys.stdout, indent=1)
'
}

# The workstation's seccomp profile (runner/src/docker/seccomp/rootless-engine.json,
# Docker's format) in the OCI form that containerd's CRI reads for a Localhost
# profile. containerd unmarshals the file as an OCI LinuxSeccomp, which would
# drop Docker's `includes`/`excludes` and apply every conditional rule at once
# (ALLOW and ERRNO for the same call); so the conditions are resolved here the
# way Docker resolves them for the workstation: amd64, and the default
# capability set (the same in containerd and Docker).
SANDBOX_SECCOMP_SRC=${SANDBOX_SECCOMP_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/runner/src/docker/seccomp/rootless-engine.json}
sandbox_seccomp_profile() {
  python3 - "$SANDBOX_SECCOMP_SRC" <<'PY'
import json, platform, sys
src = json.load(open(sys.argv[1]))
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
native = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}[arch]
caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
kernel = tuple(int(x) for x in platform.release().split("-")[0].split(".")[:2])
def applies(rule):
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"]: return False
    if inc.get("caps") and not set(inc["caps"]) <= caps: return False
    if inc.get("minKernel") and kernel < tuple(int(x) for x in inc["minKernel"].split(".")[:2]): return False
    if exc.get("arches") and arch in exc["arches"]: return False
    if exc.get("caps") and set(exc["caps"]) & caps: return False
    return True
out = {"defaultAction": src["defaultAction"], "architectures": [], "syscalls": []}
if "defaultErrnoRet" in src: out["defaultErrnoRet"] = src["defaultErrnoRet"]
for m in src.get("archMap") or []:
    if m["architecture"] == native: out["architectures"] = [m["architecture"], *m.get("subArchitectures", [])]
rules = [r for r in src["syscalls"] if applies(r)]
# A guard: a call both refused (ERRNO) and allowed outright would keep the refusal
# in libseccomp, while Docker 20.10 drops such ERRNO rules; the outright allowance
# wins here as it does there. (The profile itself has no such pair any more:
# tests/unit/seccomp-profile.test.ts.)
allowed = {n for r in rules if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args") for n in r["names"]}
for r in rules:
    names = r["names"] if r["action"] == "SCMP_ACT_ALLOW" else [n for n in r["names"] if n not in allowed]
    if not names: continue
    o = {"names": names, "action": r["action"]}
    if r.get("args"): o["args"] = r["args"]
    if r.get("errnoRet") is not None: o["errnoRet"] = r["errnoRet"]
    out["syscalls"].append(o)
json.dump(out, sys.stdout, indent=1)
PY
}

write_node_config() {
  local c=$K8S_STATE/containerd
  mkdir -p "$CTRD_ROOT" "$CTRD_STATE" "$c/opt" "$c/runc"

  base_runtime_spec >"$c/base-spec.json"

  cat >"$c/config.toml" <<TOML
version = 2
root = "$CTRD_ROOT"
state = "$CTRD_STATE"
oom_score = 0
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine lacks CAP_SYS_RESOURCE: never lower a process's oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      base_runtime_spec = "$c/base-spec.json"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$c/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$K8S_STATE/cni/net.d"
    max_conf_num = 1
TOML

  cat >"$K8S_STATE/cni/net.d/10-registry-lab.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "registry-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$K8S_STATE/cni/ipam"
      }
    }
  ]
}
JSON

  # The kubelet insists that its cgroup root exists in every hierarchy.
  local h
  for h in /sys/fs/cgroup/*/; do
    mkdir -p "$h$CGROUP_ROOT"
    if [ -f "$h/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h$CGROUP_ROOT/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h$CGROUP_ROOT/cpuset.mems"
    fi
  done

  # Localhost seccomp profile for sandbox pods: the Docker backend's own
  # profile, in the OCI form containerd reads (see sandbox_seccomp_profile).
  mkdir -p "$K8S_STATE/kubelet/seccomp/registry-lab"
  sandbox_seccomp_profile >"$K8S_STATE/kubelet/seccomp/registry-lab/rootless-engine.json"

  local P=$K8S_STATE/pki
  cat >"$K8S_STATE/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $P/kubelet.crt
tlsPrivateKeyFile: $P/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
cgroupsPerQOS: true
# No CAP_SYS_RESOURCE here: the kubelet must not lower its own oom_score_adj.
oomScoreAdj: 0
failSwapOn: false
# No KUBE-* iptables chains on a shared host (no kube-proxy runs anyway).
makeIPTablesUtilChains: false
featureGates:
  ProcMountType: true
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
serializeImagePulls: false
podPidsLimit: 4096
containerLogMaxSize: 10Mi
resolvConf: /etc/resolv.conf
YAML
}

# A pause image from the static binary built from the source's pause.c, as an
# OCI archive made here (no registry, no Docker image).
import_pause() {
  local bin=$1 dir
  dir=$(mktemp -d)
  python3 - "$bin" "$dir/pause.tar" "$PAUSE_IMAGE" <<'PY'
import hashlib, io, json, os, sys, tarfile, time
binary, out, ref = sys.argv[1:4]
def blob(tf, data, media):
    d = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + d); info.size = len(data); info.mtime = 0
    tf.addfile(info, io.BytesIO(data))
    return {"mediaType": media, "digest": "sha256:" + d, "size": len(data)}
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w") as lt:
    info = lt.gettarinfo(os.path.realpath(binary), arcname="pause"); info.mtime = 0; info.uid = info.gid = 0
    info.uname = info.gname = ""; info.mode = 0o755
    with open(binary, "rb") as f: lt.addfile(info, f)
layer = layer.getvalue()
with tarfile.open(out, "w") as tf:
    l = blob(tf, layer, "application/vnd.oci.image.layer.v1.tar")
    cfg = {"architecture": "amd64", "os": "linux",
           "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
           "rootfs": {"type": "layers", "diff_ids": [l["digest"]]}}
    c = blob(tf, json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json")
    m = blob(tf, json.dumps({"schemaVersion": 2, "config": c, "layers": [l]}).encode(),
             "application/vnd.oci.image.manifest.v1+json")
    m["annotations"] = {"org.opencontainers.image.ref.name": ref}
    for name, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                       ("index.json", json.dumps({"schemaVersion": 2, "manifests": [m]}).encode())):
        info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 0
        tf.addfile(info, io.BytesIO(data))
PY
  ctr --address "$CTRD_SOCK" -n k8s.io image import "$dir/pause.tar" >&2
  rm -rf "$dir"
}

# The images sandbox Pods use, copied from the local Docker engine (IMAGES
# overrides the list). Pods use them with imagePullPolicy: Never.
DEFAULT_IMAGES="registry-lab/workstation:2 registry-lab/registry:2 registry-lab/busybox:latest registry-lab/mirror:latest"

# The config digest (= Docker's image id) of an image already in the node, or nothing.
imported_image_id() {
  local ref=$1 manifest
  [[ $ref == */*/* || $ref == *.*/* ]] || ref=docker.io/$ref
  manifest=$(ctr --address "$CTRD_SOCK" -n k8s.io images ls "name==$ref" 2>/dev/null | awk 'NR == 2 {print $3}')
  [ -n "$manifest" ] || return 0
  ctr --address "$CTRD_SOCK" -n k8s.io content get "$manifest" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])' 2>/dev/null || true
}

# Copies an image from the local Docker engine (read only: docker save), unless
# the node already has that very image (same id).
import_docker_image() {
  local img=$1 id t=$SECONDS
  id=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null) || { log "skipping $img: not in Docker"; return 0; }
  if [ "$(imported_image_id "$img")" = "$id" ]; then
    log "$img already in the node (${id:7:12})"; return 0
  fi
  log "importing $img (${id:7:12}) from Docker"
  docker save "$img" | ctr --address "$CTRD_SOCK" -n k8s.io image import - >&2
  [ "$(imported_image_id "$img")" = "$id" ] || die "$img: imported, but the node does not show image ${id:7:12}"
  log "$img imported in $((SECONDS - t)) s"
}

// Drives the node's containerd through CRI v1alpha2 (what kubelet 1.20 speaks)
// the way the kubelet does for a sandbox Pod: a pod sandbox (pause image, CNI
// address, cgroup under the node's root), a busybox container with the
// Localhost seccomp profile and /proc unmasked, ExecSync, stop, remove.
// Usage: node cri-check.mjs <socket> <cgroup parent> <seccomp profile path> <proto dir>
import grpc from '@grpc/grpc-js';
import loader from '@grpc/proto-loader';

const [sock, cgroupParent, seccompPath, protoDir] = process.argv.slice(2);
const def = loader.loadSync(`${protoDir}/staging/src/k8s.io/cri-api/pkg/apis/runtime/v1alpha2/api.proto`,
  { includeDirs: [`${protoDir}/vendor`], keepCase: true, longs: String, enums: String, defaults: true });
const rt = grpc.loadPackageDefinition(def).runtime.v1alpha2;
const client = new rt.RuntimeService(`unix://${sock}`, grpc.credentials.createInsecure());
const call = (m, req) => new Promise((res, rej) =>
  client[m](req, { deadline: Date.now() + 120000 }, (e, r) => (e ? rej(e) : res(r))));
let bad = 0;
const ok = (what, cond, detail = '') => { if (!cond) bad++; console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`); };

const v = await call('Version', {});
ok('CRI version', v.runtime_api_version === 'v1alpha2', `${v.runtime_name} ${v.runtime_version}`);
const ns = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
const sbConfig = { metadata: { name: 'cri-check', uid: `uid-${process.pid}`, namespace: 'default', attempt: 0 },
  hostname: 'cri-check', linux: { cgroup_parent: cgroupParent, security_context: { namespace_options: ns } } };
const { pod_sandbox_id: sb } = await call('RunPodSandbox', { config: sbConfig });
try {
  const st = await call('PodSandboxStatus', { pod_sandbox_id: sb });
  ok('sandbox with a CNI address', /^10\.244\./.test(st.status.network.ip), st.status.network.ip);
  const { container_id: id } = await call('CreateContainer', { pod_sandbox_id: sb, sandbox_config: sbConfig, config: {
    metadata: { name: 'box', attempt: 0 }, image: { image: 'docker.io/registry-lab/busybox:latest' },
    command: ['sh', '-c', 'exec sleep 600'],
    linux: { resources: { memory_limit_in_bytes: 134217728, cpu_shares: 102 }, security_context: {
      masked_paths: [], readonly_paths: [], namespace_options: ns,
      seccomp: { profile_type: 'Localhost', localhost_ref: seccompPath } } } } });
  await call('StartContainer', { container_id: id });
  const r = await call('ExecSync', { container_id: id, timeout: 60, cmd: ['sh', '-c',
    'test -c /dev/net/tun && echo tun-ok; grep Seccomp: /proc/self/status; grep memory: /proc/self/cgroup;' +
    ' unshare -U -r -m -p -f sh -c "mount -t proc proc /proc && echo userns-ok"'] });
  const out = Buffer.from(r.stdout).toString();
  ok('exec', r.exit_code === 0, Buffer.from(r.stderr).toString().trim());
  ok('/dev/net/tun from the base runtime spec', out.includes('tun-ok'));
  ok('Localhost seccomp profile applied', /Seccomp:\s+2/.test(out));
  ok('cgroup under the node root', out.includes(`memory:${cgroupParent}/`));
  ok('user namespace mounts its own /proc', out.includes('userns-ok'));
} finally {
  await call('StopPodSandbox', { pod_sandbox_id: sb });
  await call('RemovePodSandbox', { pod_sandbox_id: sb });
}
console.log(bad ? `${bad} failed` : 'CRI CHECK PASSED');
process.exit(bad ? 1 : 0);

/**
 * A very small Kubernetes API client for the cluster's own tests and the test command's leak
 * check (scripts/test/cluster.ts): JSON requests and exec over WebSocket (v4.channel.k8s.io),
 * authenticated by the bearer token and CA of a kubeconfig. The runner's backend uses
 * @kubernetes/client-node; this stays free of it so the cluster wiring is tested on its own.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { WebSocket } from 'ws';
import { parse } from 'yaml';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface KubeApi {
  server: string;
  /** A JSON request; answers the status and parsed body (or the text when not JSON). */
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  /** Runs a command in a container without a TTY; `stdin`, when given, is written then closed. */
  exec(namespace: string, pod: string, container: string, command: string[], stdin?: Buffer): Promise<ExecResult>;
}

/** The server, CA and token of a kubeconfig's current context (token users only). */
export function kubeApi(kubeconfigPath: string): KubeApi {
  const kc = parse(readFileSync(kubeconfigPath, 'utf8'));
  const ctx = kc.contexts.find((c: any) => c.name === kc['current-context'])?.context ?? kc.contexts[0].context;
  const cluster = kc.clusters.find((c: any) => c.name === ctx.cluster).cluster;
  const user = kc.users.find((u: any) => u.name === ctx.user).user;
  if (!user.token) throw new Error(`${kubeconfigPath}: user ${ctx.user} has no token (this client supports tokens only)`);
  const ca = cluster['certificate-authority-data']
    ? Buffer.from(cluster['certificate-authority-data'], 'base64')
    : readFileSync(cluster['certificate-authority']);
  const agent = new Agent({ ca, keepAlive: false });
  const auth = { authorization: `Bearer ${user.token}` };
  const server: string = cluster.server;

  const doRequest: KubeApi['request'] = (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(server + path, {
        method,
        agent,
        timeout: 30_000,
        headers: { ...auth, accept: 'application/json', ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}) },
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.end(data);
    });

  const exec: KubeApi['exec'] = (namespace, pod, container, command, stdin) =>
    new Promise((resolve, reject) => {
      const q = new URLSearchParams({ container, stdout: '1', stderr: '1', ...(stdin ? { stdin: '1' } : {}) });
      for (const c of command) q.append('command', c);
      const url = `${server.replace(/^http/, 'ws')}/api/v1/namespaces/${namespace}/pods/${pod}/exec?${q}`;
      const ws = new WebSocket(url, ['v4.channel.k8s.io'], { ca, headers: auth });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let status: any;
      ws.on('open', () => {
        if (!stdin) return;
        // Channel 0 is stdin; v4 has no way to close it but the end of the stream, so the
        // command must know its input's length (e.g. `head -c N`) or read to a marker.
        for (let i = 0; i < stdin.length; i += 64 * 1024) ws.send(Buffer.concat([Buffer.from([0]), stdin.subarray(i, i + 64 * 1024)]));
      });
      ws.on('message', (m: Buffer) => {
        const body = m.subarray(1);
        if (m[0] === 1) out.push(body);
        else if (m[0] === 2) err.push(body);
        else if (m[0] === 3) status = JSON.parse(body.toString('utf8'));
      });
      ws.on('error', reject);
      ws.on('close', () => {
        const code =
          status?.status === 'Success'
            ? 0
            : Number(status?.details?.causes?.find((c: any) => c.reason === 'ExitCode')?.message ?? -1);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code });
      });
    });

  return { server, request: doRequest, exec };
}

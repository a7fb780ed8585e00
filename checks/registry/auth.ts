/** The distribution API's authentication: Basic credentials, Bearer challenges and token scopes. */

export interface RegistryAuth {
  username: string;
  password: string;
}

export function basicHeader(auth: RegistryAuth): string {
  return 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
}

/** Parses `Bearer realm="...",service="...",scope="..."` (or `Basic realm=...`). */
export function parseWwwAuthenticate(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return { scheme: '', params: {} };
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1].toLowerCase(), params };
}

/** The token scope a request needs: `repository:<name>:pull|push|delete`, the catalog's, or '' (none). */
export function scopeFor(path: string, method: string): string {
  if (path.startsWith('/v2/_catalog')) return 'registry:catalog:*';
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path);
  if (!m) return '';
  const actions = method === 'DELETE' ? 'delete' : method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
  return `repository:${m[1]}:${actions}`;
}

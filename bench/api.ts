/** One call to the runner's HTTP API for the benches: status and JSON (a non-JSON answer as its first 200 characters). */
export async function api(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = { text: text.slice(0, 200) };
  }
  return { status: res.status, json };
}

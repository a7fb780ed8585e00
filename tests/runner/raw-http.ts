/** Requests written byte for byte on a TCP socket (fetch and http.request would normalise or refuse them). */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
}

export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const body = end >= 0 ? text.slice(end + 4) : '';
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let json: any;
  try {
    json = JSON.parse(body);
  } catch {
    /* not JSON */
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, json };
}

/** Port of a runner URL like http://127.0.0.1:1234. */
export const portOf = (url: string) => Number(new URL(url).port);

/**
 * Sends `bytes` (keeping the write side open, so the request is never ended early), reads until
 * one complete answer arrived, the server closes the connection or `timeoutMs` passes.
 */
export function rawRequest(port: number, bytes: string | Buffer, opts: { timeoutMs?: number } = {}): Promise<RawAnswer & { raw: string }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      resolve({ ...parseAnswer(raw), raw });
    };
    const timer = setTimeout(done, opts.timeoutMs ?? 10_000);
    socket.on('data', (c) => {
      chunks.push(c);
      // One complete answer is enough when the connection stays open.
      const raw = Buffer.concat(chunks).toString('utf8');
      const a = parseAnswer(raw);
      const len = Number(a.headers['content-length'] ?? NaN);
      if (Number.isFinite(len) && Buffer.byteLength(a.body) >= len) done();
    });
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (err) => (chunks.length ? done() : reject(err)));
    socket.on('connect', () => socket.write(bytes));
  });
}

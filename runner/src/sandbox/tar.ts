/**
 * Tar streams between the runner and a sandbox, for both backends: the tar of files to copy in
 * (owned by a given uid), and the first regular file of a tar read back.
 */
import { Readable } from 'node:stream';
import { pack, extract } from 'tar-stream';
import type { FileToCopy } from '../../../checks/sandbox.ts';

/** A tar of `files` (and the directories they need), owned by uid/gid. */
export function tarOf(files: FileToCopy[], uid: number, gid: number): Readable {
  const p = pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const mtime = new Date();
  for (const d of [...dirs].sort()) p.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid, gid, mtime });
  for (const f of files) {
    const content = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    p.entry({ name: f.path.replace(/^\/+/, ''), mode: f.mode ?? 0o644, uid, gid, mtime }, content);
  }
  p.finalize();
  return p as unknown as Readable;
}

/**
 * Hands the first regular file of a tar stream (Docker's getArchive wraps what it reads in a tar)
 * to `consume`, skipping every other entry; null when the tar holds no regular file.
 */
export function withFirstFile<T>(tar: NodeJS.ReadableStream, consume: (file: NodeJS.ReadableStream) => Promise<T>): Promise<T | null> {
  return new Promise((resolve, reject) => {
    const ex = extract();
    let result: T | null = null;
    let done = false;
    ex.on('entry', (header, stream, next) => {
      if (done || header.type !== 'file') {
        stream.resume();
        stream.on('end', next);
        return;
      }
      done = true;
      consume(stream as unknown as NodeJS.ReadableStream).then((r) => {
        result = r;
        next();
      }, reject);
    });
    ex.on('finish', () => resolve(result));
    ex.on('error', reject);
    tar.pipe(ex);
  });
}

/** The first regular file of a tar stream, or null when absent or larger than maxBytes. */
export function firstFileOf(tar: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | null> {
  return withFirstFile(
    tar,
    (file) =>
      new Promise<Buffer | null>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        file.on('data', (c: unknown) => {
          if (!Buffer.isBuffer(c)) return;
          size += c.length;
          if (size <= maxBytes) chunks.push(c);
        });
        file.on('end', () => resolve(size <= maxBytes ? Buffer.concat(chunks) : null));
        file.on('error', reject);
      }),
  );
}

/** Everything a (small) stream yields, as one buffer. */
export async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

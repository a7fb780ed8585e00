/**
 * Reading an HTTP answer whose sender the runner does not trust (a learner's registry): at most
 * `max` bytes are read, a larger answer is refused, never buffered. Shared by both sandbox
 * backends' image probes.
 */

/** The body, or null when it is (or says it is) larger than `max` bytes; the rest is never read. */
export async function readBounded(res: Response, max: number): Promise<Buffer | null> {
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) return null;
      chunks.push(Buffer.from(value));
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks);
}

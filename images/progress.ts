import type Docker from 'dockerode';

/**
 * Waits for a Docker progress stream (build, import, pull, push) to end. The engine reports a
 * failure as an `error` event inside the stream, so that counts as failing too.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  what: string,
  onEvent?: (event: { stream?: string; status?: string }) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(new Error(`${what}: ${err?.message ?? failed?.error}`));
        else resolve();
      },
      onEvent,
    );
  });
}

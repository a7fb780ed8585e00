/**
 * Cancelling a sandbox creation: once aborted, the session's objects are removed again and
 * again until the creation gives up (its next Docker call fails on a missing object), then
 * once more. So a DELETE during creation ends it in seconds and nothing is left behind.
 */
export async function sweepUntilSettled(creation: Promise<unknown>, sweep: () => Promise<unknown>, everyMs = 250): Promise<void> {
  let settled = false;
  const done = creation.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await sweep().catch(() => undefined);
    await Promise.race([done, new Promise((r) => setTimeout(r, everyMs))]);
  }
  await sweep().catch(() => undefined);
}

/**
 * Removing everything of a RUNNER_ID: its containers, networks and volumes (every sandbox and
 * the mirror) and its database. An explicit act (`npm run reset`, the tests), never a side
 * effect of stopping: stop the runner first.
 */
import type { Config } from './config.ts';
import type { SandboxProvider } from './sandbox/provider.ts';
import { dockerProviderFor } from './backends.ts';
import { removeDatabase } from './store/files.ts';

export async function resetRunner(config: Config, provider?: SandboxProvider): Promise<{ files: string[] }> {
  const p = provider ?? (await dockerProviderFor(config));
  await p.shutdown();
  return { files: removeDatabase(config) };
}

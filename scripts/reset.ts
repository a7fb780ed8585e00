/**
 * npm run reset: removes everything of a RUNNER_ID (default registry-lab): every sandbox,
 * the mirror, and the database in DATA_DIR. Stop the runner first.
 *
 *   RUNNER_ID=registry-lab npm run reset
 */
import { loadConfig } from '../runner/src/config.ts';
import { resetRunner } from '../runner/src/reset.ts';

const config = loadConfig(process.env);
const { files } = await resetRunner(config);
console.log(`[reset] removed every container, network and volume of RUNNER_ID=${config.runnerId}${files.length ? ` and ${files.join(', ')}` : ''}`);

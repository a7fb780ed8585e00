/**
 * The operator's side of the runner's HTTP API for the command-line scripts (`npm run workshop`,
 * `npm run lti`): the runner's address (RUNNER_URL), the operator token, one call that turns a
 * refusal or a runner that does not answer into a sentence and exit code 1.
 */
import { loadConfig } from '../runner/src/config.ts';
import { operatorTokenPath, readOperatorToken } from '../runner/src/workshops/secrets.ts';

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** `call(method, path, body?)`: the answer's text, or the script ends with the runner's error code and message. */
export function operatorApi(env: NodeJS.ProcessEnv = process.env) {
  const base = (env.RUNNER_URL ?? 'http://127.0.0.1:4321').replace(/\/+$/, '');
  const config = loadConfig(env);
  const token = readOperatorToken(config) ?? fail(`No operator token: set INSTRUCTOR_TOKEN, or start the runner once (it writes ${operatorTokenPath(config)}).`);
  const call = async (method: string, path: string, body?: unknown): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      fail(`The runner at ${base} does not answer (${(err as Error).message}). Start it (npm start) or set RUNNER_URL.`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        const e = JSON.parse(text).error;
        message = `${e.code}: ${e.message}`;
      } catch {
        /* not JSON */
      }
      fail(`${method} ${path}: ${res.status} ${message}`);
    }
    return text;
  };
  return { base, config, call };
}

/**
 * `npm run lti -- <command>`: LTI 1.3 platforms (an LMS) registered with a running runner,
 * through its HTTP API (RUNNER_URL, default http://127.0.0.1:4321) with the operator token
 * (INSTRUCTOR_TOKEN, else the file the runner keeps in DATA_DIR). docs/lms.md says where each
 * value comes from in Moodle and Canvas.
 *
 *   add --issuer <url> --client-id <id> --deployment <id> [--deployment <id>...]
 *       --auth-url <url> --token-url <url> --jwks-url <url> [--audience <aud>]
 *   list
 *   remove <id>
 *   config            the URLs to paste into the LMS
 *   rotate-key        a new tool signing key (the previous one stays published)
 */
import { fail, operatorApi } from './operator-api.ts';

const USAGE = `usage: npm run lti -- add --issuer URL --client-id ID --deployment ID [--deployment ID ...] --auth-url URL --token-url URL --jwks-url URL [--audience AUD]
       npm run lti -- list
       npm run lti -- remove <id>
       npm run lti -- config
       npm run lti -- rotate-key`;


function parse(args: string[]) {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const value = args[++i];
    if (value === undefined) fail(`${a} needs a value\n${USAGE}`);
    flags.set(a.slice(2), [...(flags.get(a.slice(2)) ?? []), value]);
  }
  return { positional, flags };
}

async function main(): Promise<void> {
  const { positional, flags } = parse(process.argv.slice(2));
  const [command, arg] = positional;
  const api = operatorApi();
  const base = api.base;
  const call = async (method: string, path: string, body?: unknown) => {
    const text = await api.call(method, path, body);
    return text ? JSON.parse(text) : null;
  };
  const one = (name: string) => {
    const v = flags.get(name);
    if (!v?.length) fail(`add needs --${name}\n${USAGE}`);
    return v[v.length - 1]!;
  };

  switch (command) {
    case 'add': {
      const r = await call('POST', '/lti/registrations', {
        issuer: one('issuer'),
        clientId: one('client-id'),
        deployments: flags.get('deployment') ?? fail(`add needs --deployment\n${USAGE}`),
        authUrl: one('auth-url'),
        tokenUrl: one('token-url'),
        jwksUrl: one('jwks-url'),
        ...(flags.has('audience') ? { audience: one('audience') } : {}),
      });
      console.log(`registered ${r.issuer} (client id ${r.clientId}, deployments ${r.deployments.join(', ')}) as ${r.id}`);
      return;
    }
    case 'list': {
      const all = await call('GET', '/lti/registrations');
      if (!all.length) console.log('no platform registered');
      for (const r of all) console.log(`${r.id}  ${r.issuer}  client ${r.clientId}  deployments ${r.deployments.join(',')}`);
      return;
    }
    case 'remove': {
      if (!arg) fail(`remove needs an id (npm run lti -- list)\n${USAGE}`);
      await call('DELETE', `/lti/registrations/${encodeURIComponent(arg)}`);
      console.log(`removed ${arg}`);
      return;
    }
    case 'config': {
      const c = await fetch(`${base}/lti/config`).then((r) => r.json());
      for (const [k, v] of Object.entries(c)) console.log(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      return;
    }
    case 'rotate-key': {
      const r = await call('POST', '/lti/keys/rotate');
      console.log(`new signing key ${r.kid}; published keys: ${r.jwks.keys.map((k: { kid: string }) => k.kid).join(', ')}`);
      return;
    }
    default:
      fail(USAGE);
  }
}

await main();

/**
 * `npm run workshop -- <command>`: workshops from the command line, through a running runner's
 * HTTP API (RUNNER_URL, default http://127.0.0.1:4321) with the operator token
 * (INSTRUCTOR_TOKEN, else the file the runner keeps in DATA_DIR).
 *
 *   create "<title>" [--seats 30] [--labs a,b] [--reserve 3] [--ends-at <ISO 8601>]
 *   list
 *   end <id>
 *   results <id> [--csv]
 *   export <id> [--out <dir>]   results.json, results.csv, log.json and recordings/*.cast (asciicast v2)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail, operatorApi } from './operator-api.ts';

const USAGE = `usage: npm run workshop -- create "<title>" [--seats N] [--labs a,b] [--reserve N] [--ends-at ISO]
       npm run workshop -- list
       npm run workshop -- end <id>
       npm run workshop -- results <id> [--csv]
       npm run workshop -- export <id> [--out <dir>]`;


function parse(args: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) positional.push(a);
    else if (a === '--csv') flags.set('csv', true);
    else {
      const value = args[++i];
      if (value === undefined) fail(`${a} needs a value\n${USAGE}`);
      flags.set(a.slice(2), value);
    }
  }
  return { positional, flags };
}

const int = (name: string, v: string | true | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) fail(`--${name} must be a whole number`);
  return Number(v);
};

async function main(): Promise<void> {
  const { positional, flags } = parse(process.argv.slice(2));
  const [command, arg] = positional;
  const { base, call } = operatorApi();

  switch (command) {
    case 'create': {
      if (!arg) fail(`create needs a title\n${USAGE}`);
      const labs = flags.get('labs');
      const body = {
        title: arg,
        seats: int('seats', flags.get('seats')),
        reserve: int('reserve', flags.get('reserve')),
        labs: typeof labs === 'string' ? labs.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        endsAt: flags.get('ends-at') as string | undefined,
      };
      const w = JSON.parse(await call('POST', '/api/workshops', body));
      console.log(`Workshop "${w.title}" (${w.id})`);
      console.log(`  join code:      ${w.code}`);
      console.log(`  join link:      ${w.joinUrl}`);
      console.log(`  dashboard:      ${w.dashboardUrl}`);
      console.log(`  instructor key: ${w.instructorKey}   (opens this workshop only; shown once)`);
      console.log(`  seats ${w.seats}, reserve ${w.reserve}, labs ${w.labs.join(', ')}${w.endsAt ? `, ends ${w.endsAt}` : ''}`);
      break;
    }
    case 'list': {
      const list = JSON.parse(await call('GET', '/api/workshops')) as any[];
      if (!list.length) console.log('No workshops.');
      for (const w of list) console.log(`${w.id}  ${w.code}  ${w.state.padEnd(6)}  ${String(w.learners).padStart(3)}/${w.seats}  ${w.createdAt}  ${w.title}`);
      break;
    }
    case 'end':
      if (!arg) fail(`end needs a workshop id\n${USAGE}`);
      await call('DELETE', `/api/workshops/${encodeURIComponent(arg)}`);
      console.log(`Workshop ${arg} ended: its sandboxes are removed, its results stay readable.`);
      break;
    case 'results':
      if (!arg) fail(`results needs a workshop id\n${USAGE}`);
      process.stdout.write(await call('GET', `/api/workshops/${encodeURIComponent(arg)}/results.${flags.get('csv') ? 'csv' : 'json'}`));
      if (!flags.get('csv')) process.stdout.write('\n');
      break;
    case 'export': {
      if (!arg) fail(`export needs a workshop id\n${USAGE}`);
      const w = `/api/workshops/${encodeURIComponent(arg)}`;
      const out = resolve(typeof flags.get('out') === 'string' ? (flags.get('out') as string) : `workshop-${arg}`);
      mkdirSync(join(out, 'recordings'), { recursive: true });
      writeFileSync(join(out, 'results.json'), await call('GET', `${w}/results.json`));
      writeFileSync(join(out, 'results.csv'), await call('GET', `${w}/results.csv`));
      writeFileSync(join(out, 'log.json'), await call('GET', `${w}/log`));
      const recordings = JSON.parse(await call('GET', `${w}/recordings`)) as { id: string; session: string }[];
      for (const r of recordings) {
        // Ids are the runner's own (<session>.<n>); anything else is not written.
        if (!/^[A-Za-z0-9_-]+\.\d+$/.test(r.id)) continue;
        writeFileSync(join(out, 'recordings', `${r.id}.cast`), await call('GET', `${w}/learners/${encodeURIComponent(r.session)}/recordings/${encodeURIComponent(r.id)}`));
      }
      console.log(`Workshop ${arg} exported to ${out}: results.json, results.csv, log.json, ${recordings.length} recordings.`);
      break;
    }
    default:
      fail(USAGE);
  }
}

await main();

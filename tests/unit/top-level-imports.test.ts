/**
 * Which top-level folder may import which (the rule: docs/architecture.md, "Which top-level folder
 * may import which"): protocol/ and quiz/ import no other folder, the site never imports the runner
 * and the runner never the site, and the site's one sideways arrow is checks/lab-schema.ts, which
 * must stay a leaf. Reads the import lines of the files; fails with the file and the import.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const SOURCE = /\.(ts|mts|mjs|js|astro|mdx)$/;
const SKIP = new Set(['node_modules', 'dist', '.astro']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return SOURCE.test(name) ? [p] : [];
  });
}

/** Relative import specifiers of a file, resolved to repository paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(root, resolve(dirname(file), s)).split(sep).join('/'));
}

const top = (path: string) => path.split('/')[0]!;

/** Offending "file -> import" pairs of a folder, given what it may import besides itself. */
function offences(folder: string, allowed: (target: string) => boolean): string[] {
  return files(join(root, folder)).flatMap((f) => {
    const from = relative(root, f).split(sep).join('/');
    return imports(f)
      .filter((target) => top(target) !== top(from) && !allowed(target))
      .map((target) => `${from} -> ${target}`);
  });
}

it('protocol/ and quiz/ import no other folder of the repository', () => {
  assert.deepEqual(offences('protocol', () => false), []);
  assert.deepEqual(offences('quiz', () => false), []);
});

it('the site imports protocol/, quiz/ and the lab schema, never the runner', () => {
  const ok = (t: string) => ['protocol', 'quiz'].includes(top(t)) || t === 'checks/lab-schema.ts';
  assert.deepEqual(offences('site', ok), []);
});

it('the runner never imports the site', () => {
  assert.deepEqual(offences('runner', (t) => top(t) !== 'site'), []);
});

it('checks/lab-schema.ts, which the site imports, is a leaf (node: and zod only)', () => {
  const text = readFileSync(join(root, 'checks/lab-schema.ts'), 'utf8');
  const specs = [...text.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  assert.deepEqual(specs.filter((s) => !s.startsWith('node:') && s !== 'zod'), []);
});

/**
 * The direction of imports (the rule: docs/architecture.md, "Layers inside runner/src"). Reads the
 * import lines of runner/src, checks/, protocol/, quiz/ and site/src and fails naming the offending
 * pair: an import from a lower layer of runner/src to a higher one, or between the two sandbox
 * backends; an import circle anywhere (file to file); checks/ reaching into runner/; dockerode
 * outside runner/src/docker/, the Kubernetes client outside runner/src/kubernetes/.
 * tests/unit/top-level-imports.test.ts holds the rule between top-level folders.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const SOURCE = /\.(ts|mts|mjs|js|astro)$/;
const SKIP = new Set(['node_modules', 'dist', '.astro']);

/**
 * runner/src from the bottom up: a module may import its own unit and the units below it, never one
 * above. Units on one line are peers that never import each other (the two sandbox backends).
 */
export const RUNNER_LAYERS: string[][] = [
  ['config-variables.ts'],
  ['config.ts'],
  ['sandbox'],
  ['store'],
  ['core'],
  ['docker', 'kubernetes'],
  ['backends.ts'],
  ['labs'],
  ['workshops'],
  ['http'],
  ['terminal'],
  ['metrics'],
  ['lti'],
  ['app.ts'],
  ['main.ts', 'reset.ts'],
];

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return SOURCE.test(name) ? [p] : [];
  });
}

const repoPath = (abs: string) => relative(root, abs).split(sep).join('/');

/** Every import specifier of a file (static, re-export and dynamic), comments left out. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

interface Edge {
  from: string;
  to: string;
}

const scanned = ['runner/src', 'checks', 'protocol', 'quiz', 'site/src'].flatMap((d) => files(join(root, d)));

/** Relative imports between repository files. */
const edges: Edge[] = scanned.flatMap((f) =>
  specifiers(f)
    .filter((s) => s.startsWith('.'))
    .map((s) => ({ from: repoPath(f), to: repoPath(resolve(dirname(f), s)) })),
);

const show = (e: Edge) => `${e.from} -> ${e.to}`;

/** The runner/src unit of a path (its first folder, or the file itself), or null outside runner/src. */
function unitOf(path: string): string | null {
  if (!path.startsWith('runner/src/')) return null;
  return path.slice('runner/src/'.length).split('/')[0]!;
}

const rank = new Map(RUNNER_LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));

it('every file and folder of runner/src has its place in the layers', () => {
  const units = new Set(scanned.map((f) => unitOf(repoPath(f))).filter((u): u is string => u !== null));
  assert.deepEqual([...units].filter((u) => !rank.has(u)).sort(), [], 'add them to RUNNER_LAYERS and to docs/architecture.md');
});

it('runner/src imports only downwards, and the sandbox backends never import each other', () => {
  const bad = edges.filter((e) => {
    const a = unitOf(e.from);
    const b = unitOf(e.to);
    if (a === null || b === null || a === b) return false;
    const ra = rank.get(a);
    const rb = rank.get(b);
    return ra === undefined || rb === undefined || ra <= rb;
  });
  assert.deepEqual(bad.map(show), [], 'an arrow back up (or sideways) in runner/src');
});

it('no import circle in runner/src, checks/, protocol/, quiz/ or site/src', () => {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components; a component of two or more files is a circle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (next.get(v) ?? []).includes(v)) circles.push(c.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
  // Each circle with the imports that close it, so the report names the pairs.
  const report = circles.map((c) => edges.filter((e) => c.includes(e.from) && c.includes(e.to)).map(show).join(', '));
  assert.deepEqual(report, [], 'import circles (the imports within each)');
});

it('checks/ declares what it needs from a sandbox and imports nothing of runner/', () => {
  const bad = edges.filter((e) => e.from.startsWith('checks/') && e.to.startsWith('runner/'));
  assert.deepEqual(bad.map(show), []);
});

it('dockerode only under runner/src/docker/, the Kubernetes client only under runner/src/kubernetes/', () => {
  const bad: string[] = [];
  for (const f of scanned) {
    const p = repoPath(f);
    for (const s of specifiers(f)) {
      if (s === 'dockerode' && !p.startsWith('runner/src/docker/')) bad.push(`${p} -> ${s}`);
      if (s.startsWith('@kubernetes/client-node') && !p.startsWith('runner/src/kubernetes/')) bad.push(`${p} -> ${s}`);
    }
  }
  assert.deepEqual(bad, []);
});

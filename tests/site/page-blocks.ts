/**
 * What a chapter page promises a learner who runs its blocks: its code fences read from the MDX,
 * which of them are runnable (the blocks that get a "run in terminal" button: bash/sh/console
 * without the `norun` meta flag; `shell` blocks are illustrations that need what the sandbox lacks),
 * the expected output that follows each runnable block (the next fence, `text`), the error
 * reproductions of the troubleshooting page (```text repro=<id>, `$ ` lines run, the rest
 * quoted output), and the comparison of a quoted output with a real one, with digests, ids,
 * commit hashes, sizes, timestamps and dates normalised and `…` standing for "anything here".
 * Used by tests/site/page-blocks.test.ts (real sandbox) and tests/site/page-blocks-match.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error plain JS module without type declarations
import { commandsOf } from '../../site/src/lib/ec-run-in-terminal.mjs';

export const DOCS = join(import.meta.dirname, '..', '..', 'site', 'src', 'content', 'docs');

export interface Fence {
  lang: string;
  meta: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const RUNNABLE = new Set(['bash', 'sh', 'console', 'shell-session', 'shellsession']);

/** The fenced code blocks of an MDX page, in order. */
export function fences(mdx: string): Fence[] {
  const lines = mdx.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})([\w-]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, lang, meta] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^${indent}${ticks}\\s*$`).test(lines[j]!)) body.push(lines[j++]!.slice(indent!.length));
    out.push({ lang: lang!, meta: meta!.trim(), code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return out;
}

/** A `key=value` or bare `flag` of a fence's meta string. */
export function metaValue(f: Fence, key: string): string | true | undefined {
  for (const part of f.meta.split(/\s+/)) {
    const [k, v] = part.split('=');
    if (k === key) return v === undefined ? true : v.replace(/^["']|["']$/g, '');
  }
  return undefined;
}

export function isRunnable(f: Fence): boolean {
  return RUNNABLE.has(f.lang) && metaValue(f, 'norun') === undefined && commandsOf(f.code, f.lang) !== '';
}

/** What the "run in terminal" button types for a block. */
export function commandsOfFence(f: Fence): string {
  return commandsOf(f.code, f.lang);
}

export interface RunnableBlock {
  commands: string;
  expected: string;
  line: number;
}

/**
 * Every runnable block of a page with the expected output shown under it. Throws when a runnable
 * block has no `text` block after it (before the next runnable one).
 */
export function runnableBlocks(mdx: string, name: string): RunnableBlock[] {
  const all = fences(mdx);
  const out: RunnableBlock[] = [];
  const missing: number[] = [];
  all.forEach((f, i) => {
    if (!isRunnable(f)) return;
    const next = all[i + 1];
    if (!next || next.lang !== 'text') missing.push(f.line);
    else out.push({ commands: commandsOfFence(f), expected: next.code, line: f.line });
  });
  if (missing.length) throw new Error(`${name}: runnable block(s) at line ${missing.join(', ')} without a \`text\` block of expected output under them (or mark the block \`norun\`)`);
  return out;
}

export interface Repro {
  id: string;
  commands: string;
  expected: string;
  line: number;
}

/** The troubleshooting page's reproduced errors: ```text repro=<id> blocks, `$ ` lines and their output. */
export function reproBlocks(mdx: string): Repro[] {
  return fences(mdx)
    .filter((f) => typeof metaValue(f, 'repro') === 'string')
    .map((f) => ({
      id: metaValue(f, 'repro') as string,
      commands: commandsOf(f.code, 'console'),
      expected: f.code
        .split('\n')
        .filter((l) => !/^\s*\$\s/.test(l))
        .join('\n'),
      line: f.line,
    }));
}

export function readPage(rel: string): string {
  return readFileSync(join(DOCS, rel), 'utf8');
}

/** Names a block assigns (`NAME=`, `for NAME in`), so the next block of the same page sees them. */
export function assignedNames(commands: string): string[] {
  const names = new Set<string>();
  for (const m of commands.matchAll(/(?:^|[;&|(]\s*|\bexport\s+)([A-Za-z_][A-Za-z0-9_]*)=/gm)) names.add(m[1]!);
  for (const m of commands.matchAll(/\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b/g)) names.add(m[1]!);
  return [...names];
}

/**
 * What varies from run to run, made equal: sha256 digests and other hex ids (7+ characters with
 * a digit, also when the page cuts them with `…`), long numbers (sizes), ISO timestamps, HTTP
 * dates, "N minutes ago", the amd64 microarchitecture level; terminal colours and CRs are dropped.
 */
export function normalise(s: string): string {
  return s
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\r/g, '')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g, '<time>')
    .replace(/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/g, '<date>')
    .replace(/\b(?:\d+|an?|About an?|Less than a) \w+ ago\b/g, '<ago>')
    .replace(/(?<![0-9A-Za-z])(?=[0-9a-f]*\d)[0-9a-f]{7,}(?![0-9A-Za-z])…?/g, '<hex>')
    .replace(/linux\/amd64(?:\/v\d)?/g, 'linux/amd64')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A quoted line as a pattern: `…` matches anything within the line. */
function linePattern(line: string): string {
  return line.split('…').map(escapeRe).join('.*?');
}

/**
 * Whether the quoted output is what the command printed: every non-blank quoted line (a line of
 * only `…` says that lines are left out) matches a whole line of the real output, in order, other
 * lines in between allowed. A quoted line may also end where the next quoted line continues on
 * the same real line (`{}` then `{` when curl prints no newline). Returns null or what is missing.
 */
export function outputMismatch(quoted: string, actual: string): string | null {
  const want = normalise(quoted)
    .split('\n')
    .filter((l) => l.trim() !== '' && l.trim() !== '…');
  const text = normalise(actual);
  const full = want.map((l) => new RegExp(linePattern(l) + '(?=\\n|$)', 'y'));
  const part = want.map((l) => new RegExp(linePattern(l), 'y'));
  const at = (re: RegExp, p: number) => {
    re.lastIndex = p;
    const m = re.exec(text);
    return m ? p + m[0].length : -1;
  };
  let pos = 0;
  let glued = false; // the previous line ended mid-line: the next one may start right there
  for (let i = 0; i < want.length; i++) {
    const starts: number[] = glued ? [pos] : [];
    for (let p = pos; p <= text.length; p = text.indexOf('\n', p) + 1 || text.length + 1) {
      if (p === 0 || text[p - 1] === '\n') starts.push(p);
      if (p === text.length) break;
    }
    let found = -1;
    glued = false;
    for (const p of starts) {
      const end = at(full[i]!, p);
      if (end >= 0) {
        found = end;
        break;
      }
      const endPart = i + 1 < want.length ? at(part[i]!, p) : -1;
      if (endPart > p && at(part[i + 1]!, endPart) >= 0) {
        found = endPart;
        glued = true;
        break;
      }
    }
    if (found < 0) return `line ${JSON.stringify(want[i])} not found in order (after ${JSON.stringify(text.slice(Math.max(0, pos - 80), pos))})`;
    pos = found;
  }
  return null;
}

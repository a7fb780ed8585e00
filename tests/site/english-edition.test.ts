/**
 * The English edition (issue 20): Russian at the root, English under /en/.
 *
 * From the sources (fast): every Russian chapter page has an English one with the same heading outline
 * (quiz links go to the English heading at the same position, Quiz.astro; a section added to one
 * edition only fails here);
 * every lab has an English task page (labs/<id>/page.en.mdx) and English texts for lab.json
 * (labs/<id>/lab.en.json).
 *
 * From a built site: both languages build; every Russian page has its /en/ twin; no Cyrillic on /en/
 * pages outside <code>/<pre> and the named exceptions below; the language switcher of every page leads
 * to the same page in the other language; internal links on /en/ pages stay in English and land on an
 * existing page and heading; Pagefind has an index per language.
 *
 * The built site: RL_SITE_DIST=<dir> reads one that is already built (e.g. site/dist after
 * `node scripts/bootstrap.mjs build-site`); otherwise the test builds into a temporary folder (~20 s).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { labFolders } from '../../checks/lab-schema.ts';

const root = join(import.meta.dirname, '..', '..');
const docs = join(root, 'site', 'src', 'content', 'docs');
const labsDir = join(root, 'labs');

/**
 * Parts of an English page that may still hold Russian text, each named with why and until when.
 * Remove an entry as soon as its reason is gone; the test then covers that part too.
 */
const PENDING_TRANSLATION: Record<string, { pattern: RegExp; why: string }> = {
  // None left. The quizzes were the last (English text: src/data/quizzes/en/*.yaml, quiz/load.ts).
  // A new entry: { pattern: /<the part>/g, why: '…, until …' }, and mark the part data-rl-untranslated.
};

/** Not a translation gap: the switcher names the Russian edition in Russian ("Русский"), as it should. */
const LANGUAGE_SWITCHER = /<starlight-lang-select\b[\s\S]*?<\/starlight-lang-select>/g;

const CYRILLIC = /[\u0400-\u04FF]/u;

/* ------------------------------------------------------------------ sources ------------------ */

const mdx = (dir: string) => readdirSync(dir).filter((n) => /\.mdx?$/.test(n) && statSync(join(dir, n)).isFile());

test('every Russian chapter page has an English page under content/docs/en/', () => {
  const missing = mdx(docs).filter((n) => !existsSync(join(docs, 'en', n)));
  assert.deepEqual(missing, [], `no English page for: ${missing.join(', ')}`);
});

/** Headings as the page outline: depth of each ##..#### outside fenced code. */
function outline(file: string): Array<{ depth: number; text: string }> {
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/^(#{2,4}) (.+)$/gm)].map((m) => ({ depth: m[1]!.length, text: m[2]! }));
}

test('English pages keep the Russian heading outline (quiz links map by position; a section added in Russian only shows up here)', () => {
  const problems: string[] = [];
  for (const name of mdx(docs)) {
    const ruFile = join(docs, name);
    const enFile = join(docs, 'en', name);
    if (!existsSync(enFile)) continue;
    const ru = outline(ruFile);
    const en = outline(enFile);
    if (ru.length !== en.length) problems.push(`${name}: ${ru.length} headings in Russian, ${en.length} in English`);
    ru.forEach((h, i) => {
      if (en[i] && en[i]!.depth !== h.depth) problems.push(`${name}: heading ${i + 1} "${h.text}" is depth ${h.depth}, English "${en[i]!.text}" is ${en[i]!.depth}`);
    });
  }
  assert.deepEqual(problems, []);
});

test('every lab has an English task page and English texts for everything lab.json shows', () => {
  const problems: string[] = [];
  for (const id of labFolders(labsDir)) {
    const labJson = join(labsDir, id, 'lab.json');
    const lab = JSON.parse(readFileSync(labJson, 'utf8')) as {
      criteria: Array<{ id: string }>;
      hints?: Array<{ criterion?: string }>;
    };
    if (existsSync(join(labsDir, id, 'page.mdx')) && !existsSync(join(labsDir, id, 'page.en.mdx'))) problems.push(`${id}: no page.en.mdx`);
    const enFile = join(labsDir, id, 'lab.en.json');
    if (!existsSync(enFile)) {
      problems.push(`${id}: no lab.en.json`);
      continue;
    }
    const en = JSON.parse(readFileSync(enFile, 'utf8')) as {
      title?: string;
      summary?: string;
      criteria?: Record<string, string>;
      hints?: Array<{ criterion?: string; text: string }>;
    };
    if (!en.title) problems.push(`${id}: lab.en.json has no title`);
    if (!en.summary) problems.push(`${id}: lab.en.json has no summary`);
    for (const c of lab.criteria) if (!en.criteria?.[c.id]) problems.push(`${id}: no English title for criterion ${c.id}`);
    for (const extra of Object.keys(en.criteria ?? {})) if (!lab.criteria.some((c) => c.id === extra)) problems.push(`${id}: lab.en.json names unknown criterion ${extra}`);
    const ruHints = (lab.hints ?? []).map((h) => h.criterion ?? '');
    const enHints = (en.hints ?? []).map((h) => h.criterion ?? '');
    if (JSON.stringify(ruHints) !== JSON.stringify(enHints)) problems.push(`${id}: hints differ from lab.json's (criteria in order: ${JSON.stringify(ruHints)} vs ${JSON.stringify(enHints)})`);
    const texts = [en.title, en.summary, ...Object.values(en.criteria ?? {}), ...(en.hints ?? []).map((h) => h.text)];
    for (const t of texts) if (t && CYRILLIC.test(t.replace(/`[^`]*`/g, ''))) problems.push(`${id}: Cyrillic outside code in lab.en.json: "${t.slice(0, 60)}"`);
  }
  assert.deepEqual(problems, []);
});

/* ------------------------------------------------------------------ built site --------------- */

let dist = '';
let builtHere = false;

before(() => {
  if (process.env.RL_SITE_DIST) {
    dist = process.env.RL_SITE_DIST;
    return;
  }
  dist = mkdtempSync(join(tmpdir(), 'rl-site-en-'));
  builtHere = true;
  const node = existsSync(join(root, 'node_modules/node/bin/node')) ? join(root, 'node_modules/node/bin/node') : process.execPath;
  const r = spawnSync(node, [join(root, 'scripts/build-site.ts'), '--outDir', dist], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` } });
  assert.equal(r.status, 0, `site build failed:\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
});

after(() => {
  if (builtHere) rmSync(dist, { recursive: true, force: true });
});

/** Every built page as its URL path ("/docker-hub/", "/en/labs/tagging/"), 404 excepted. */
function pages(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!['_astro', 'pagefind'].includes(name)) walk(p);
      } else if (name === 'index.html') {
        out.push('/' + relative(dist, dir).split('\\').join('/') + (dir === dist ? '' : '/'));
      }
    }
  };
  walk(dist);
  return out.map((p) => p.replace(/^\/\//, '/')).sort();
}
const htmlOf = (path: string) => readFileSync(join(dist, path, 'index.html'), 'utf8');
const isEnglish = (path: string) => path === '/en/' || path.startsWith('/en/');
const counterpart = (path: string) => (isEnglish(path) ? path.replace(/^\/en\//, '/') : '/en' + path);

test('both languages build: every Russian page has its English twin, with the right lang attribute', () => {
  const all = pages();
  const ru = all.filter((p) => !isEnglish(p));
  assert.ok(ru.length >= 10, `only ${ru.length} Russian pages in ${dist}`);
  const missing = ru.filter((p) => !all.includes(counterpart(p)));
  assert.deepEqual(missing, [], `no English twin for: ${missing.join(', ')}`);
  const wrongLang = all.filter((p) => {
    const lang = /<html[^>]*\blang="([^"]+)"/.exec(htmlOf(p))?.[1];
    return lang !== (isEnglish(p) ? 'en' : 'ru');
  });
  assert.deepEqual(wrongLang, [], `wrong <html lang> on: ${wrongLang.join(', ')}`);
});

/** The page without what may legitimately hold Cyrillic: code, scripts, styles, the switcher, named exceptions. */
function visibleEnglish(html: string): string {
  let s = html;
  for (const { pattern } of Object.values(PENDING_TRANSLATION)) s = s.replace(pattern, ' ');
  return s
    .replace(/<script\b[\s\S]*?<\/script>/g, ' ')
    .replace(/<style\b[\s\S]*?<\/style>/g, ' ')
    .replace(/<pre\b[\s\S]*?<\/pre>/g, ' ')
    .replace(/<code\b[\s\S]*?<\/code>/g, ' ')
    // data-* values are for scripts, not readers (and data-code holds a code block's text for its copy button).
    .replace(/\sdata-[\w-]+="[^"]*"/g, '')
    .replace(LANGUAGE_SWITCHER, ' ');
}

test('no Cyrillic on /en/ pages outside code (exceptions: ' + (Object.keys(PENDING_TRANSLATION).join(', ') || 'none') + ')', () => {
  const problems: string[] = [];
  for (const path of pages().filter(isEnglish)) {
    const s = visibleEnglish(htmlOf(path));
    // Text a reader sees or hears: text nodes, and the attributes that are read out or shown.
    const attrs = [...s.matchAll(/\s(?:title|alt|aria-label|placeholder|content)="([^"]*)"/g)].map((m) => m[1]!);
    const text = s.replace(/<[^>]*>/g, '\n').split('\n');
    for (const t of [...text, ...attrs]) {
      if (CYRILLIC.test(t)) problems.push(`${path}: "${t.trim().slice(0, 80)}"`);
    }
  }
  assert.deepEqual(problems.slice(0, 40), [], `${problems.length} Russian strings on English pages`);
});

test('the language switcher on every page leads to the same page in the other language', () => {
  const all = new Set(pages());
  const problems: string[] = [];
  for (const path of all) {
    const html = htmlOf(path);
    const select = html.match(LANGUAGE_SWITCHER)?.[0];
    if (!select) {
      problems.push(`${path}: no language switcher`);
      continue;
    }
    // Starlight marks no option `selected` on the root locale's pages, so the options are matched by value.
    const values = [...select.matchAll(/<option\b[^>]*\bvalue="([^"]+)"/g)].map((m) => m[1]!);
    if (!values.includes(path)) problems.push(`${path}: the switcher has no option for this page (${values.join(', ')})`);
    if (!values.includes(counterpart(path))) problems.push(`${path}: the switcher does not lead to ${counterpart(path)} (${values.join(', ')})`);
    else if (!all.has(counterpart(path))) problems.push(`${path}: the other language's page ${counterpart(path)} was not built`);
  }
  assert.deepEqual(problems, []);
});

test('links on /en/ pages stay in English and land on a page and heading that exist', () => {
  const all = new Set(pages());
  const ids = new Map<string, Set<string>>();
  const idsOf = (p: string) => {
    if (!ids.has(p)) ids.set(p, new Set([...htmlOf(p).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)));
    return ids.get(p)!;
  };
  const problems: string[] = [];
  for (const path of [...all].filter(isEnglish)) {
    // The page's own content (the sidebar and header are Starlight's and checked by the switcher test).
    const main = /<main\b[\s\S]*<\/main>/.exec(visibleEnglish(htmlOf(path)))?.[0] ?? '';
    for (const m of main.matchAll(/<a\b[^>]*\shref="([^"]+)"/g)) {
      const href = m[1]!.replace(/&amp;/g, '&');
      if (/^[a-z]+:/i.test(href) || href.startsWith('//')) continue;
      const [target, fragment] = href.startsWith('#') ? [path, href.slice(1)] : [href.split('#')[0]!, href.split('#')[1]];
      if (!target.startsWith('/')) continue;
      if (/^\/(_astro|pagefind)\//.test(target) || /\.[a-z0-9]+$/i.test(target)) continue;
      const page = target.endsWith('/') ? target : target + '/';
      if (!isEnglish(page)) {
        problems.push(`${path}: link to the Russian page ${href}`);
        continue;
      }
      if (!all.has(page.split('?')[0]!)) {
        problems.push(`${path}: link to a page that was not built: ${href}`);
        continue;
      }
      if (fragment && !idsOf(page.split('?')[0]!).has(decodeURIComponent(fragment))) problems.push(`${path}: no #${fragment} on ${page}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('search is per language: Pagefind has an English and a Russian index', () => {
  const entry = JSON.parse(readFileSync(join(dist, 'pagefind', 'pagefind-entry.json'), 'utf8')) as { languages: Record<string, { page_count: number }> };
  assert.ok(entry.languages.ru?.page_count, 'no Russian index');
  assert.ok(entry.languages.en?.page_count, 'no English index');
  assert.equal(entry.languages.en.page_count, entry.languages.ru.page_count, 'both editions index the same number of pages');
});

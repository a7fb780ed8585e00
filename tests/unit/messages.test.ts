/**
 * Check messages in two languages (issue 20, checks/messages.ts): every catalogue has the same
 * keys with the same placeholders in Russian and English; every key the code uses exists; the
 * English texts have no Cyrillic; rendering (lists, numbers, nesting, parameters inserted once);
 * the session language picked from the body and Accept-Language.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ENGINE_MESSAGES,
  LANGS,
  cataloguesProblem,
  hasCyrillic,
  msg,
  pickLang,
  placeholders,
  readCatalogues,
  render,
  renderAll,
  type Catalogues,
} from '../../checks/messages.ts';
import { labFolders } from '../../checks/lab-schema.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const LABS = join(ROOT, 'labs');
const EXAMPLE = join(ROOT, 'checks', 'example-lab', 'hello');
const labDirs = [...labFolders(LABS).map((name) => join(LABS, name)), EXAMPLE];

/** Every `.ts` file under `dir` (no node_modules). */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Code without its comments (a rough cut: // to the end of a line, /* … *\/ blocks). */
function code(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Literal keys passed to pass(), fail(), msg(), LearnerError(), ImageLoadError(), probe messages. */
function usedKeys(src: string): string[] {
  const re = /\b(?:pass|fail|msg|probeMessage|LearnerError|ImageLoadError)\(\s*'([a-z][\w.-]*)'/g;
  const ternary = /\b(?:pass|fail|msg|probeMessage|ImageLoadError)\(\s*[^'(),]+\?\s*'([a-z][\w.-]*)'\s*:\s*'([a-z][\w.-]*)'/g;
  const keys = [...src.matchAll(re)].map((m) => m[1]!);
  for (const m of src.matchAll(ternary)) keys.push(m[1]!, m[2]!);
  // const SKIPPED = 'skipped'; … fail(SKIPPED)
  const consts = new Map([...src.matchAll(/\bconst ([A-Z_]+) = '([a-z][\w.-]*)';/g)].map((m) => [m[1]!, m[2]!]));
  for (const m of src.matchAll(/\b(?:pass|fail)\(\s*([A-Z_]+)\b/g)) if (consts.has(m[1]!)) keys.push(consts.get(m[1]!)!);
  return keys;
}

test('every catalogue: the same keys in Russian and English, with the same placeholders', () => {
  const all: Array<[string, Catalogues]> = [['checks/messages', ENGINE_MESSAGES], ...labDirs.map((d) => [relative(ROOT, d), readCatalogues(d)] as [string, Catalogues])];
  for (const [where, c] of all) {
    assert.equal(cataloguesProblem(c), null, where);
    assert.ok(Object.keys(c.ru).length > 0, `${where}: an empty catalogue`);
    for (const lang of LANGS) for (const [k, v] of Object.entries(c[lang])) assert.ok(v.trim().length > 0, `${where} ${lang} "${k}" is empty`);
  }
});

test('a catalogue pair that disagrees is refused, naming the key', () => {
  assert.match(cataloguesProblem({ ru: { a: 'x {n}', b: 'y' }, en: { a: 'x {m}' } })!, /keys missing in en: b.*"a" has the placeholders \{n\} in ru but \{m\} in en/);
  assert.deepEqual(placeholders('{a} {b|comma} {a}'), ['a', 'b']);
});

test('every key the code uses exists in its catalogue (the lab\'s or the engine\'s)', () => {
  const engineKeys = new Set(Object.keys(ENGINE_MESSAGES.ru));
  engineKeys.add('check.title'); // run-check.ts: the criterion's title, the same key in every language
  for (const dir of labDirs) {
    const own = new Set(Object.keys(readCatalogues(dir).ru));
    const src = code(readFileSync(join(dir, 'lab.ts'), 'utf8'));
    const keys = usedKeys(src);
    assert.ok(keys.length > 0, `${relative(ROOT, dir)}: no message keys found in lab.ts`);
    for (const k of keys) assert.ok(own.has(k) || engineKeys.has(k), `${relative(ROOT, dir)}/lab.ts uses "${k}", which neither its messages.{ru,en}.json nor checks/messages.*.json has`);
    // No key of the catalogue is left unused (a renamed key would leave a stale text behind).
    const used = new Set(keys);
    const unused = [...own].filter((k) => !used.has(k) && !src.includes(`'${k}'`));
    assert.deepEqual(unused, [], `${relative(ROOT, dir)}: catalogue keys no code uses`);
  }
  const engineSources = [...tsFiles(join(ROOT, 'checks')).filter((f) => !f.includes('example-lab')), ...tsFiles(join(ROOT, 'runner', 'src'))];
  for (const f of engineSources) {
    for (const k of usedKeys(code(readFileSync(f, 'utf8')))) {
      if (/^(check|common|cosign|probe)\./.test(k)) assert.ok(engineKeys.has(k), `${relative(ROOT, f)} uses "${k}", which checks/messages.*.json lacks`);
    }
  }
});

test('no learner sentence is left in code: lab.ts and the engine\'s message sources hold no Cyrillic outside comments', () => {
  const files = [
    ...labDirs.filter((d) => d !== EXAMPLE).map((d) => join(d, 'lab.ts')),
    ...['lab-helpers.ts', 'run-check.ts', 'cosign.ts'].map((f) => join(ROOT, 'checks', f)),
    ...['docker/image-load.ts', 'docker/probe.ts', 'kubernetes/probe.ts', 'sandbox/http-poll.ts', 'labs/service.ts'].map((f) => join(ROOT, 'runner', 'src', f)),
  ];
  for (const f of files) {
    const lines = code(readFileSync(f, 'utf8')).split('\n').filter((l) => hasCyrillic(l));
    // The automated-build check commits as the learner; its commit text is data, not a message.
    const left = lines.filter((l) => !/commit -q --no-verify -m/.test(l));
    assert.deepEqual(left, [], `${relative(ROOT, f)}: Russian text in code (move it to a catalogue)`);
  }
});

test('English catalogues have no Cyrillic (except the example lab, whose answer is the word «привет»)', () => {
  for (const [where, c] of [['checks', ENGINE_MESSAGES] as const, ...labDirs.filter((d) => d !== EXAMPLE).map((d) => [relative(ROOT, d), readCatalogues(d)] as const)]) {
    for (const [k, v] of Object.entries(c.en)) assert.ok(!hasCyrillic(v), `${where} en "${k}": ${v}`);
  }
});

test('render: lists and numbers in the language, nested messages, parameters inserted once', () => {
  const cats: Catalogues[] = [
    {
      ru: { a: 'Теги {tags}; через запятую: {tags|comma}; {n} с; {inner}', inner: 'внутри {x}', none: '(нет)' },
      en: { a: 'Tags {tags}; with commas: {tags|comma}; {n} s; {inner}', inner: 'inside {x}', none: '(none)' },
    },
  ];
  const m = msg('a', { tags: ['1', '1.4', '1.4.2'], n: 0.3, inner: msg('inner', { x: '{tags}' }) });
  assert.equal(render(m, 'ru', cats), 'Теги 1, 1.4 и 1.4.2; через запятую: 1, 1.4, 1.4.2; 0,3 с; внутри {tags}');
  assert.equal(render(m, 'en', cats), 'Tags 1, 1.4, and 1.4.2; with commas: 1, 1.4, 1.4.2; 0.3 s; inside {tags}');
  assert.deepEqual(renderAll(msg('a', { tags: [msg('none')], n: 40000, inner: 'x' }), cats), { ru: 'Теги (нет); через запятую: (нет); 40000 с; x', en: 'Tags (none); with commas: (none); 40000 s; x' });
  assert.equal(render('literal', 'en', cats), 'literal');
  assert.throws(() => render(msg('nope'), 'ru', cats), /no message "nope"/);
  assert.throws(() => render(msg('inner'), 'en', cats), /needs the parameter \{x\}/);
});

test('the engine\'s own sentences are in both languages (timeouts, crashes, lost state, not started)', () => {
  for (const k of ['check.timeout', 'check.problem', 'check.state-lost', 'check.not-started', 'check.registry-unreachable']) {
    const both = renderAll(msg(k, { seconds: 10, detail: 'x', title: 't' }), [ENGINE_MESSAGES]);
    assert.ok(hasCyrillic(both.ru), k);
    assert.ok(!hasCyrillic(both.en) && both.en.length > 25, k);
  }
});

test('pickLang: the body, then Accept-Language by quality, then Russian', () => {
  assert.equal(pickLang('en', 'ru'), 'en');
  assert.equal(pickLang('ru', 'en-US'), 'ru');
  assert.equal(pickLang(undefined, 'en-US,en;q=0.9'), 'en');
  assert.equal(pickLang(null, 'de-DE, ru;q=0.5, en;q=0.8'), 'en');
  assert.equal(pickLang(undefined, 'de, fr'), 'ru');
  assert.equal(pickLang(undefined, 'en;q=0, ru;q=0.1'), 'ru');
  assert.equal(pickLang(undefined, undefined), 'ru');
  assert.equal(pickLang('xx', 'EN'), 'en');
});

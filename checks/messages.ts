/**
 * Check messages in two languages. A criterion returns a message key with parameters
 * (`fail('v-prefix', { found, want })`); the text lives in one catalogue per language:
 *
 *   labs/<id>/messages.ru.json   { "v-prefix": "Найдены теги {found}, а нужны {want}…" }
 *   labs/<id>/messages.en.json   { "v-prefix": "Found the tags {found}, but {want} are needed…" }
 *   checks/messages.{ru,en}.json the engine's own sentences (timeouts, checker problems,
 *                                "press Start again"), keys starting with `check.` / `common.`
 *
 * Placeholders: `{name}` is a parameter (a number is written the language's way: 0,3 / 0.3); an array parameter becomes a list in the language
 * (`a, b и c` / `a, b, and c`), `{name|comma}` joins it with commas only. A parameter may be a
 * message itself (rendered in the same language). Parameters are inserted as text once (a
 * `{…}` inside a value is never expanded), so values from the learner go in as they are given.
 *
 * The engine renders every message in both languages when the check runs (run-check.ts);
 * the runner answers in the session's language.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LANGS = ['ru', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** A message to render: a catalogue key with its parameters. */
export interface Message {
  readonly key: string;
  readonly params?: Readonly<Record<string, Param>>;
}
export type Scalar = string | number | Message;
export type Param = Scalar | ReadonlyArray<Scalar>;
/** Text for the learner: a message, or a literal that reads the same in every language (a ref, a digest). */
export type Text = Message | string;

export type Catalogue = Readonly<Record<string, string>>;
export type Catalogues = Readonly<Record<Lang, Catalogue>>;

export function msg(key: string, params?: Record<string, Param>): Message {
  return params ? { key, params } : { key };
}

export function isMessage(v: unknown): v is Message {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Message).key === 'string';
}

const PLACEHOLDER = /\{([A-Za-z][\w-]*)(\|comma)?\}/g;

/** The placeholder names of one template, sorted (for the both-languages test). */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

const listFormats = new Map<Lang, Intl.ListFormat>();
function listFormat(lang: Lang): Intl.ListFormat {
  let f = listFormats.get(lang);
  if (!f) listFormats.set(lang, (f = new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' })));
  return f;
}

const numberFormats = new Map<Lang, Intl.NumberFormat>();
/** Numbers in the language's own way (`0,3` / `0.3`), without grouping (ports, sizes stay as typed). */
function numberFormat(lang: Lang): Intl.NumberFormat {
  let f = numberFormats.get(lang);
  if (!f) numberFormats.set(lang, (f = new Intl.NumberFormat(lang, { useGrouping: false, maximumFractionDigits: 20 })));
  return f;
}

export class MessageError extends Error {}

/**
 * `text` in `lang`, looking keys up in `catalogues` in order (the lab's, then the engine's).
 * Throws MessageError for an unknown key or a missing parameter (a bug of the lab, caught by
 * the tests and shown as "the check itself broke").
 */
export function render(text: Text, lang: Lang, catalogues: ReadonlyArray<Catalogues>): string {
  if (typeof text === 'string') return text;
  const template = catalogues.map((c) => c[lang]?.[text.key]).find((t) => typeof t === 'string');
  if (template === undefined) throw new MessageError(`no message "${text.key}" in the ${lang} catalogue`);
  const params = text.params ?? {};
  const one = (v: Scalar): string => (typeof v === 'number' ? numberFormat(lang).format(v) : render(v, lang, catalogues));
  return template.replace(PLACEHOLDER, (_, name: string, comma: string | undefined) => {
    const v = params[name];
    if (v === undefined || v === null) throw new MessageError(`message "${text.key}" needs the parameter {${name}}`);
    if (Array.isArray(v)) {
      const items = (v as ReadonlyArray<Scalar>).map(one);
      return comma ? items.join(', ') : listFormat(lang).format(items);
    }
    return one(v as Scalar);
  });
}

/** Both languages at once. */
export function renderAll(text: Text, catalogues: ReadonlyArray<Catalogues>): Record<Lang, string> {
  return { ru: render(text, 'ru', catalogues), en: render(text, 'en', catalogues) };
}

/**
 * Reads `<dir>/<base>.ru.json` and `<dir>/<base>.en.json` (absent files are empty catalogues)
 * and checks they agree: the same keys, the same placeholders per key, strings only.
 */
export function readCatalogues(dir: string, base = 'messages'): Catalogues {
  const out = {} as Record<Lang, Catalogue>;
  for (const lang of LANGS) {
    const path = join(dir, `${base}.${lang}.json`);
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        out[lang] = {};
        continue;
      }
      throw err;
    }
    const json = JSON.parse(raw) as unknown;
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new MessageError(`${base}.${lang}.json must be an object of key → text`);
    for (const [k, v] of Object.entries(json)) if (typeof v !== 'string') throw new MessageError(`${base}.${lang}.json: "${k}" must be a string`);
    out[lang] = json as Catalogue;
  }
  const problem = cataloguesProblem(out);
  if (problem) throw new MessageError(`${join(dir, base)}.{ru,en}.json: ${problem}`);
  return out;
}

/** What differs between the languages (null when they agree): missing keys, other placeholders. */
export function cataloguesProblem(c: Catalogues): string | null {
  const problems: string[] = [];
  const [first, ...rest] = LANGS;
  for (const lang of rest) {
    const a = c[first];
    const b = c[lang];
    const onlyA = Object.keys(a).filter((k) => !(k in b));
    const onlyB = Object.keys(b).filter((k) => !(k in a));
    if (onlyA.length) problems.push(`keys missing in ${lang}: ${onlyA.join(', ')}`);
    if (onlyB.length) problems.push(`keys missing in ${first}: ${onlyB.join(', ')}`);
    for (const k of Object.keys(a).filter((key) => key in b)) {
      const pa = placeholders(a[k]!).join(',');
      const pb = placeholders(b[k]!).join(',');
      if (pa !== pb) problems.push(`"${k}" has the placeholders {${pa}} in ${first} but {${pb}} in ${lang}`);
    }
  }
  return problems.length ? problems.join('; ') : null;
}

/** The engine's own catalogue (checks/messages.{ru,en}.json). */
export const ENGINE_MESSAGES: Catalogues = readCatalogues(import.meta.dirname);

/** A session language from a request: the body's `lang`, else the first supported Accept-Language, else ru. */
export function pickLang(explicit: unknown, acceptLanguage?: string | null): Lang {
  if (explicit === 'ru' || explicit === 'en') return explicit;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, i) => {
        const [tag, ...opts] = part.trim().split(';');
        const q = opts.map((o) => /^\s*q=([0-9.]+)\s*$/.exec(o)).find(Boolean);
        return { tag: (tag ?? '').trim().toLowerCase(), q: q ? Number(q[1]) : 1, i };
      })
      .filter((x) => x.tag && x.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i);
    for (const { tag } of ranked) {
      const base = tag.split('-')[0];
      if (base === 'ru' || base === 'en') return base;
    }
  }
  return 'ru';
}

/** True when `s` has Cyrillic letters (the tests' "no Russian left in English" check). */
export function hasCyrillic(s: string): boolean {
  return /[\u0400-\u04FF]/.test(s);
}

/**
 * UI strings of the site's own components (Quiz, Terminal, lab controls, progress, workshops),
 * one file per area under ui/, merged here into one table. Starlight's chrome translates itself.
 * Look up with `useUi(lang)`; English falls back per key.
 */
import { course } from './ui/course.ts';
import { lab } from './ui/lab.ts';
import { terminal } from './ui/terminal.ts';
import { errors } from './ui/errors.ts';
import { instructor } from './ui/instructor.ts';
import { dashboard } from './ui/dashboard.ts';
import { workshopLearner } from './ui/workshop-learner.ts';

export const ui = {
  ru: {
    ...course.ru,
    ...lab.ru,
    ...terminal.ru,
    ...errors.ru,
    ...instructor.ru,
    ...dashboard.ru,
    ...workshopLearner.ru,
  },
  en: {
    ...course.en,
    ...lab.en,
    ...terminal.en,
    ...errors.en,
    ...instructor.en,
    ...dashboard.en,
    ...workshopLearner.en,
  },
} as const;

export type Lang = keyof typeof ui;
export type UiKey = keyof (typeof ui)['ru'];

export function langOf(value: string | undefined): Lang {
  return value?.toLowerCase().startsWith('en') ? 'en' : 'ru';
}

/** Translation function for one page language; `{name}` placeholders are filled from `vars`. */
export function useUi(lang: string | undefined) {
  const table = ui[langOf(lang)] as Record<UiKey, string>;
  return (key: UiKey, vars: Record<string, string | number> = {}) =>
    (table[key] ?? ui.ru[key]).replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

/** describeError's (lib/session.ts) sentences for a runner that did not answer, was busy or failed. */
export const FAILURE_UI: readonly string[] = ['term.unavailable', 'term.error', 'term.busy', 'term.limit', 'term.timeout'];
/** What describeError reads: a client script that shows the runner's errors picks these too. */
export const ERROR_UI: readonly string[] = ['err.', ...FAILURE_UI];

/** The subset of strings a client script needs, serialised into a data attribute. */
export function pickUi(lang: string | undefined, prefixes: string[]): Record<string, string> {
  const table = ui[langOf(lang)] as Record<string, string>;
  return Object.fromEntries(Object.entries(table).filter(([k]) => prefixes.some((p) => k.startsWith(p))));
}

/** Page language inside an Astro component rendered by Starlight. */
export function pageLang(astro: { locals: Record<string, any>; currentLocale?: string | undefined }): Lang {
  try {
    return langOf(astro.locals.starlightRoute?.lang ?? astro.currentLocale);
  } catch {
    return langOf(astro.currentLocale);
  }
}

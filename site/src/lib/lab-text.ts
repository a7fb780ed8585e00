/**
 * What a learner reads of a lab's data (title, summary, criteria titles, hints) in the page's language.
 * lab.json (Russian) is the engine's file and the source of truth for ids and order; English comes from
 * labs/<id>/lab.en.json (collection `labsEn`, schema in content.config.ts), field by field, and a field
 * missing there falls back to lab.json. Hints are taken in English only when lab.en.json gives the same
 * list (same length, same criteria, same order) as lab.json.
 */
import { getEntry } from 'astro:content';
import type { Lang } from '~/i18n/ui.ts';

export interface LabText {
  title: string;
  summary: string;
  criteria: Array<{ id: string; title: string; required: boolean }>;
  hints: Array<{ criterion?: string | undefined; text: string }>;
  /** Fields still shown from lab.json on a page of another language (for reports and tests). */
  untranslated: string[];
}

export async function labText(id: string, lang: Lang): Promise<LabText | null> {
  const entry = await getEntry('labs', id);
  if (!entry) return null;
  const ru = entry.data;
  const base: LabText = {
    title: ru.title,
    summary: ru.summary,
    criteria: ru.criteria.map((c) => ({ id: c.id, title: c.title, required: c.required })),
    hints: ru.hints.map((h) => ({ criterion: h.criterion, text: h.text })),
    untranslated: [],
  };
  if (lang === 'ru') return base;
  const en = (await getEntry('labsEn', id))?.data;
  const untranslated: string[] = [];
  const title = en?.title ?? (untranslated.push('title'), ru.title);
  const summary = en?.summary ?? (untranslated.push('summary'), ru.summary);
  const criteria = ru.criteria.map((c) => {
    const t = en?.criteria[c.id];
    if (!t) untranslated.push(`criteria.${c.id}`);
    return { id: c.id, title: t ?? c.title, required: c.required };
  });
  const sameHints =
    !!en &&
    en.hints.length === ru.hints.length &&
    en.hints.every((h, i) => (h.criterion ?? '') === (ru.hints[i]!.criterion ?? ''));
  if (!sameHints && ru.hints.length > 0) untranslated.push('hints');
  return { title, summary, criteria, hints: sameHints ? en!.hints : base.hints, untranslated };
}

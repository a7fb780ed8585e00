/**
 * The chapter's plan, in reading order: each section's page and the minutes to read it and try its
 * commands. A lab's place in the chapter is declared once, in its own labs/<id>/lab.json: `section`
 * (a slug below), `order` (the course's lab order, the same in GET /api/labs) and `minutes` (what a
 * learner should expect to spend on it); tests/site/chapter.test.ts checks that every lab names a
 * section here and that `order` follows the sections' order. The sidebar (astro.config.mjs), the
 * first page's map (components/ChapterMap.astro) and the lab list (components/LabList.astro) read it.
 */

export interface Section {
  slug: string;
  en: string;
  minutes: number;
}

export const sections: Section[] = [
  { slug: 'docker-hub', en: 'Docker Hub', minutes: 25 },
  { slug: 'automated-builds', en: 'Automated builds', minutes: 20 },
  { slug: 'private-registries', en: 'Private registries', minutes: 35 },
  { slug: 'registry-internals', en: 'Registry internals', minutes: 30 },
  { slug: 'image-size', en: 'Image size', minutes: 30 },
  { slug: 'provenance', en: 'Provenance', minutes: 35 },
  { slug: 'summary', en: 'Summary', minutes: 20 },
  { slug: 'troubleshooting', en: 'Troubleshooting', minutes: 0 },
];

/** Labs in chapter order: by lab.json `order`, then id. */
export function chapterOrder<L extends { id: string; order: number }>(labs: readonly L[]): L[] {
  return [...labs].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** The labs of one section, in chapter order. */
export function labsOfSection<L extends { id: string; order: number; section: string }>(labs: readonly L[], slug: string): L[] {
  return chapterOrder(labs.filter((l) => l.section === slug));
}

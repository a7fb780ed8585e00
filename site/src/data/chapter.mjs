// @ts-check
/**
 * The chapter's plan, in reading order: each section's page, the minutes to read it and try its
 * commands, and the labs that practise it (in the order the page teaches their topics), with the
 * minutes a learner should expect to spend on each lab. The sidebar (astro.config.mjs), the
 * first page's map (components/ChapterMap.astro) and the lab list (components/LabList.astro)
 * read it. A lab missing here is listed after these, by its lab.json `order`.
 */

/** @type {Array<{ slug: string, en: string, minutes: number, labs: string[] }>} */
export const sections = [
  { slug: 'docker-hub', en: 'Docker Hub', minutes: 25, labs: ['tagging'] },
  { slug: 'automated-builds', en: 'Automated builds', minutes: 20, labs: ['automated-build'] },
  { slug: 'private-registries', en: 'Private registries', minutes: 35, labs: ['push-private', 'registry-auth', 'save-load'] },
  { slug: 'registry-internals', en: 'Registry internals', minutes: 30, labs: ['registry-api'] },
  { slug: 'image-size', en: 'Image size', minutes: 30, labs: ['multistage', 'layer-history'] },
  { slug: 'provenance', en: 'Provenance', minutes: 35, labs: ['digest-pull', 'signing'] },
  { slug: 'summary', en: 'Summary', minutes: 20, labs: [] },
  { slug: 'troubleshooting', en: 'Troubleshooting', minutes: 0, labs: [] },
];

/** Expected minutes per lab: reading the task, doing it, one or two checks. */
/** @type {Record<string, number>} */
export const labMinutes = {
  tagging: 15,
  'automated-build': 20,
  'push-private': 10,
  'registry-auth': 15,
  'save-load': 15,
  'registry-api': 25,
  multistage: 25,
  'layer-history': 10,
  'digest-pull': 15,
  signing: 20,
};

/** Lab ids in chapter order, then any others by their lab.json order. */
/** @param {Array<{ id: string, order: number }>} labs */
export function chapterOrder(labs) {
  const planned = sections.flatMap((s) => s.labs);
  const rank = (/** @type {{ id: string, order: number }} */ l) => {
    const i = planned.indexOf(l.id);
    return i >= 0 ? i : planned.length + l.order;
  };
  return [...labs].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/**
 * What deep linking and scores need to know of the labs without running the engine: id,
 * title (ru/en), section and how many criteria are required (the score maximum). Read from
 * labs/<id>/lab.json and lab.en.json once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { labFolders } from '../../../checks/lab-schema.ts';

const labJson = z.object({
  id: z.string(),
  title: z.string(),
  order: z.number().optional(),
  section: z.string().optional(),
  summary: z.string().optional(),
  criteria: z.array(z.object({ id: z.string(), title: z.string(), required: z.boolean().optional() })),
});
const labEn = z.object({ title: z.string().optional(), summary: z.string().optional() }).loose();

export interface CatalogLab {
  id: string;
  order: number;
  section: string | null;
  title: { ru: string; en: string };
  /** Required criteria: the score maximum. */
  required: number;
}

let cached: { dir: string; labs: CatalogLab[] } | null = null;

export function labCatalog(labsDir: string): CatalogLab[] {
  if (cached?.dir === labsDir) return cached.labs;
  const labs: CatalogLab[] = [];
  for (const id of labFolders(labsDir)) {
    const file = join(labsDir, id, 'lab.json');
    try {
      const d = labJson.parse(JSON.parse(readFileSync(file, 'utf8')));
      const enFile = join(labsDir, id, 'lab.en.json');
      const en = existsSync(enFile) ? labEn.parse(JSON.parse(readFileSync(enFile, 'utf8'))) : {};
      labs.push({ id: d.id, order: d.order ?? 999, section: d.section ?? null, title: { ru: d.title, en: en.title ?? d.title }, required: d.criteria.filter((c) => c.required !== false).length });
    } catch {
      /* a broken lab is the engine's to report */
    }
  }
  labs.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
  cached = { dir: labsDir, labs };
  return labs;
}

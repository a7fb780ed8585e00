/**
 * `labs/<id>/lab.json`, the data half of a lab, and which folders of labs/ are labs: read by the
 * runner (load.ts) and by the site (content.config.ts, astro.config.mjs) through this one module.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const criterionSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'criterion ids are kebab-case'),
  title: z.string().min(3),
  /** A criterion that is only reported (for example `non-root`) does not decide `passed`. */
  required: z.boolean().default(true),
});

export const hintSchema = z.object({
  /** Shown when this criterion fails; a hint without one is general. */
  criterion: z.string().optional(),
  text: z.string().min(3),
});

const labFields = {
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lab ids are kebab-case'),
  title: z.string().min(3),
  /** Order on the site and in GET /api/labs (the labs of a section are listed in this order). */
  order: z.number().int().nonnegative(),
  /**
   * Slug of the chapter section the lab practises, e.g. `docker-hub`: one of `sections` in
   * site/src/data/chapter.ts. With `order` and `minutes`, the lab's place in the chapter.
   */
  section: z.string().min(1),
  /** Minutes a learner should expect to spend (reading the task, doing it, a check or two); shown by the site. */
  minutes: z.number().int().positive().optional(),
  summary: z.string().min(3),
  criteria: z.array(criterionSchema).min(1),
  hints: z.array(hintSchema).default([]),
  /** Upper bound for one check (ms); checks that build or run images may need more than 2 s. */
  checkTimeoutMs: z.number().int().positive().default(10_000),
};

/**
 * The lab.json schema, optionally with more fields (as Starlight's `docsSchema({ extend })`):
 * the site adds what it derives from the folder (solution text, page presence) and keeps
 * every rule of the engine's schema.
 */
/** Cross-field rules: criterion ids unique, hints name existing criteria. */
function refineLab(lab: { id: string; criteria: Array<{ id: string }>; hints: Array<{ criterion?: string }> }, ctx: z.RefinementCtx): void {
  const ids = new Set(lab.criteria.map((c) => c.id));
  if (ids.size !== lab.criteria.length) ctx.addIssue({ code: 'custom', message: `lab ${lab.id}: duplicate criterion id` });
  for (const h of lab.hints) {
    if (h.criterion && !ids.has(h.criterion)) ctx.addIssue({ code: 'custom', message: `lab ${lab.id}: hint names unknown criterion "${h.criterion}"` });
  }
}

export function labSchema<E extends z.ZodRawShape = {}>(opts: { extend?: E } = {}) {
  const shape = { ...labFields, ...opts.extend } as typeof labFields & E;
  return z.object(shape).superRefine((lab, ctx) => refineLab(lab as unknown as z.infer<z.ZodObject<typeof labFields>>, ctx));
}

export const labDefinitionSchema = labSchema();

export type LabDefinition = z.infer<typeof labDefinitionSchema>;
export type Criterion = z.infer<typeof criterionSchema>;

export function formatIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map((i) => {
      const field = i.path.map(String).join('.');
      return field ? `field "${field}": ${i.message}` : i.message;
    })
    .join('; ');
}

/**
 * Reads `<dir>/lab.json`: valid JSON, the schema, and `id` equal to the folder name. The raw
 * JSON is returned too, so the site can validate it again with its extended schema.
 */
export async function readLabJson(dir: string, folder: string): Promise<{ ok: true; definition: LabDefinition; raw: unknown } | { ok: false; error: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, 'lab.json'), 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: e.code === 'ENOENT' ? 'lab.json is missing' : `lab.json is not valid JSON: ${e.message}` };
  }
  const parsed = labDefinitionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: `lab.json: ${formatIssues(parsed.error.issues)}` };
  if (parsed.data.id !== folder) return { ok: false, error: `lab.json: field "id" is "${parsed.data.id}" but the folder is "${folder}" (they must match)` };
  return { ok: true, definition: parsed.data, raw };
}

/**
 * The lab folders of `labsDir`, by name: each folder with a lab.json, except those whose name starts
 * with `.` or `_` (drafts, shared helpers), which are never labs. The one scanner of labs/: the
 * engine, the site and the tests list labs with it.
 */
export function labFolders(labsDir: string): string[] {
  return readdirSync(labsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !/^[._]/.test(e.name) && existsSync(join(labsDir, e.name, 'lab.json')))
    .map((e) => e.name)
    .sort();
}

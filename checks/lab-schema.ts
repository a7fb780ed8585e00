import { z } from 'zod';

/** `labs/<id>/lab.json`: the data half of a lab, read by the runner and by the site. */
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

export const labDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lab ids are kebab-case'),
    title: z.string().min(3),
    /** Order on the site and in GET /api/labs. */
    order: z.number().int().nonnegative(),
    /** Slug of the chapter page the lab practises, e.g. `docker-hub`, `private-registry`. */
    section: z.string().min(1),
    summary: z.string().min(3),
    criteria: z.array(criterionSchema).min(1),
    hints: z.array(hintSchema).default([]),
    /** Upper bound for one check (ms); checks that build or run images may need more than 2 s. */
    checkTimeoutMs: z.number().int().positive().default(10_000),
  })
  .superRefine((lab, ctx) => {
    const ids = new Set(lab.criteria.map((c) => c.id));
    if (ids.size !== lab.criteria.length) ctx.addIssue({ code: 'custom', message: `lab ${lab.id}: duplicate criterion id` });
    for (const h of lab.hints) {
      if (h.criterion && !ids.has(h.criterion)) {
        ctx.addIssue({ code: 'custom', message: `lab ${lab.id}: hint names unknown criterion "${h.criterion}"` });
      }
    }
  });

export type LabDefinition = z.infer<typeof labDefinitionSchema>;
export type Criterion = z.infer<typeof criterionSchema>;

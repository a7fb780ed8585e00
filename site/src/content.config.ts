import { defineCollection } from 'astro:content';
import { z } from 'astro/zod';
import { glob, type Loader } from 'astro/loaders';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labDefinitionSchema } from '../../checks/lab-schema.ts';

/* ---------- quizzes: src/data/quizzes/<section>.yaml ---------- */

const option = z.object({ text: z.string().min(1), correct: z.boolean().default(false) });

const question = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'question ids are kebab-case (a-z, 0-9, -)'),
    type: z.enum(['single', 'multiple', 'text', 'command']),
    kind: z.enum(['self-check', 'short']).default('self-check'),
    prompt: z.string().min(3),
    options: z.array(option).optional(),
    answers: z.array(z.string().min(1)).optional(),
    explanation: z.string().min(3),
  })
  .superRefine((q, ctx) => {
    const where = `question "${q.id}"`;
    if (q.type === 'single' || q.type === 'multiple') {
      if (!q.options || q.options.length < 2) {
        ctx.addIssue({ code: 'custom', path: ['options'], message: `${where}: type ${q.type} needs at least two options` });
        return;
      }
      const correct = q.options.filter((o) => o.correct).length;
      if (correct === 0) ctx.addIssue({ code: 'custom', path: ['options'], message: `${where}: no option is marked "correct: true"` });
      if (q.type === 'single' && correct > 1)
        ctx.addIssue({ code: 'custom', path: ['options'], message: `${where}: type single needs exactly one correct option, found ${correct} (use type: multiple?)` });
      if (q.answers) ctx.addIssue({ code: 'custom', path: ['answers'], message: `${where}: "answers" is for text/command questions; mark options with "correct: true" instead` });
    } else {
      if (!q.answers || q.answers.length === 0)
        ctx.addIssue({ code: 'custom', path: ['answers'], message: `${where}: type ${q.type} needs "answers" (a list of accepted answers)` });
      if (q.options) ctx.addIssue({ code: 'custom', path: ['options'], message: `${where}: "options" is only for single/multiple questions` });
    }
  });

const quizzes = defineCollection({
  loader: glob({ pattern: '*.{yaml,yml}', base: './src/data/quizzes' }),
  schema: z
    .object({
      section: z.string().min(1),
      questions: z.array(question).min(1, 'a quiz needs at least one question'),
    })
    .superRefine((quiz, ctx) => {
      const seen = new Set<string>();
      quiz.questions.forEach((q, i) => {
        if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id "${q.id}" in section ${quiz.section}` });
        seen.add(q.id);
      });
    }),
});

/* ---------- labs: <repo>/labs/<id>/{lab.json,page.mdx,solve.sh} ---------- */

const labsDir = resolve(process.env.RL_LABS_DIR ?? new URL('../../labs', import.meta.url).pathname);

function labsLoader(): Loader {
  return {
    name: 'registry-lab-labs',
    load: async ({ store, logger, parseData }) => {
      store.clear();
      if (!existsSync(labsDir)) {
        logger.warn(`no labs folder at ${labsDir}`);
        return;
      }
      for (const name of readdirSync(labsDir).sort()) {
        const file = join(labsDir, name, 'lab.json');
        if (!existsSync(file)) continue;
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new Error(`labs/${name}/lab.json is not valid JSON: ${(e as Error).message}`);
        }
        const parsed = labDefinitionSchema.safeParse(json);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
          throw new Error(`labs/${name}/lab.json does not match checks/lab-schema.ts:\n${issues}`);
        }
        if (parsed.data.id !== name) throw new Error(`labs/${name}/lab.json: id "${parsed.data.id}" must equal the folder name "${name}"`);
        const solvePath = join(labsDir, name, 'solve.sh');
        const data = await parseData({
          id: name,
          data: {
            ...parsed.data,
            solution: existsSync(solvePath) ? readFileSync(solvePath, 'utf8') : null,
            hasPage: existsSync(join(labsDir, name, 'page.mdx')),
          },
        });
        store.set({ id: name, data });
      }
    },
  };
}

const labs = defineCollection({
  loader: labsLoader(),
  schema: z.object({
    id: z.string(),
    title: z.string(),
    order: z.number(),
    section: z.string(),
    summary: z.string(),
    criteria: z.array(z.object({ id: z.string(), title: z.string(), required: z.boolean() })),
    hints: z.array(z.object({ criterion: z.string().optional(), text: z.string() })),
    checkTimeoutMs: z.number(),
    solution: z.string().nullable(),
    hasPage: z.boolean(),
  }),
});

/** The task text of each lab: labs/<id>/page.mdx (may be missing while a lab is being written). */
const labPages = defineCollection({
  loader: glob({ pattern: '*/page.mdx', base: labsDir, generateId: ({ entry }) => entry.split('/')[0]! }),
});

export const collections = {
  labPages,
  docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }),
  quizzes,
  labs,
};

import { defineCollection } from 'astro:content';
import { z } from 'astro/zod';
import { glob, type Loader } from 'astro/loaders';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labDefinitionSchema } from '../../checks/lab-schema.ts';
import { quizFileSchema } from './lib/quiz-schema.ts';

/* ---------- quizzes: src/data/quizzes/<section>.yaml (schema: lib/quiz-schema.ts) ---------- */

const quizzes = defineCollection({
  loader: glob({ pattern: '*.{yaml,yml}', base: process.env.RL_QUIZ_DIR ?? './src/data/quizzes' }),
  schema: quizFileSchema,
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

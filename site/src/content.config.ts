import { defineCollection } from 'astro:content';
import { z } from 'astro/zod';
import { glob, type Loader } from 'astro/loaders';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labSchema, readLabJson } from '../../checks/lab-schema.ts';
import { quizFileSchema } from './lib/quiz-schema.ts';

/* ---------- quizzes: src/data/quizzes/<section>.yaml (schema: lib/quiz-schema.ts) ---------- */

const quizzes = defineCollection({
  loader: glob({ pattern: '*.{yaml,yml}', base: process.env.RL_QUIZ_DIR ?? './src/data/quizzes' }),
  schema: quizFileSchema,
});

/* ---------- labs: <repo>/labs/<id>/{lab.json,page.mdx,solve.sh} ---------- */

const labsDir = resolve(process.env.RL_LABS_DIR ?? new URL('../../labs', import.meta.url).pathname);

/** lab.json through the engine's own schema, extended with what the site derives from the folder. */
const siteLabSchema = labSchema({ extend: { solution: z.string().nullable(), hasPage: z.boolean() } });

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
        if (!existsSync(join(labsDir, name, 'lab.json'))) continue;
        const read = await readLabJson(join(labsDir, name), name);
        if (!read.ok) throw new Error(`labs/${name}: ${read.error} (schema: checks/lab-schema.ts)`);
        const solvePath = join(labsDir, name, 'solve.sh');
        const data = await parseData({
          id: name,
          data: {
            ...(read.raw as Record<string, unknown>),
            solution: existsSync(solvePath) ? readFileSync(solvePath, 'utf8') : null,
            hasPage: existsSync(join(labsDir, name, 'page.mdx')),
          },
        });
        store.set({ id: name, data });
      }
    },
  };
}

const labs = defineCollection({ loader: labsLoader(), schema: siteLabSchema });

/** The task text of each lab: labs/<id>/page.mdx (may be missing while a lab is being written). */
const labPages = defineCollection({
  loader: glob({ pattern: '*/page.mdx', base: labsDir, generateId: ({ entry }) => entry.split('/')[0]! }),
});

/** The English task text of each lab: labs/<id>/page.en.mdx (rendered at /en/labs/<id>/). */
const labPagesEn = defineCollection({
  loader: glob({ pattern: '*/page.en.mdx', base: labsDir, generateId: ({ entry }) => entry.split('/')[0]! }),
});

/**
 * English texts of a lab's data (labs/<id>/lab.en.json): the fields of lab.json a learner reads, keyed
 * the same way. lab.json stays the engine's file (Russian); the site overlays these on /en/ pages
 * (lib/lab-text.ts). A missing field falls back to lab.json.
 */
const labsEn = defineCollection({
  loader: glob({ pattern: '*/lab.en.json', base: labsDir, generateId: ({ entry }) => entry.split('/')[0]! }),
  schema: z.object({
    title: z.string().min(3).optional(),
    summary: z.string().min(3).optional(),
    /** criterion id → its title */
    criteria: z.record(z.string(), z.string().min(3)).default({}),
    /** In lab.json's order: general hints without `criterion`, the others with it. */
    hints: z.array(z.object({ criterion: z.string().optional(), text: z.string().min(3) })).default([]),
  }),
});

export const collections = {
  labPages,
  labPagesEn,
  labsEn,
  docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }),
  quizzes,
  labs,
};

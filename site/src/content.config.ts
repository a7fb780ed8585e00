import { defineCollection } from 'astro:content';
import { z } from 'astro/zod';
import { glob, type Loader } from 'astro/loaders';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labFolders, labSchema, readLabJson } from '../../checks/lab-schema.ts';
import { quizFileSchema } from '../../quiz/schema.ts';
import { readQuizzes, type QuizLang } from '../../quiz/load.ts';

/* ---------- quizzes: src/data/quizzes/<section>.yaml + <lang>/<section>.yaml (quiz/load.ts, schema: quiz/schema.ts) ---------- */

/** As the quiz-tells integration: RL_QUIZ_DIR is relative to the site root. */
const quizDir = resolve(new URL('..', import.meta.url).pathname, process.env.RL_QUIZ_DIR ?? 'src/data/quizzes');

/**
 * One language's quizzes, id = section. Russian from the quiz files, another language from its text
 * overlay laid over them; both through quizFileSchema. A missing or extra id, another option count
 * or an unreadable file fails the build (readQuizzes lists them all at once).
 */
function quizLoader(lang: QuizLang): Loader {
  return {
    name: `registry-lab-quizzes-${lang}`,
    load: async ({ store, logger, parseData, watcher }) => {
      const sync = async () => {
        const { quizzes, problems } = readQuizzes(quizDir);
        if (problems.length) throw new Error(`quiz text (${lang}): \n  - ${problems.join('\n  - ')}`);
        store.clear();
        for (const { section, data } of quizzes[lang]) store.set({ id: section, data: await parseData({ id: lang === 'ru' ? section : `${lang}/${section}`, data }) });
      };
      await sync();
      watcher?.add(quizDir);
      watcher?.on('all', (_event, path) => {
        if (path.startsWith(quizDir)) sync().catch((e: unknown) => logger.error(e instanceof Error ? e.message : String(e)));
      });
    },
  };
}

const quizzes = defineCollection({ loader: quizLoader('ru'), schema: quizFileSchema });
/** The English quizzes (rendered on /en/ pages); same ids as `quizzes`. */
const quizzesEn = defineCollection({ loader: quizLoader('en'), schema: quizFileSchema });

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
      for (const name of labFolders(labsDir)) {
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
  quizzesEn,
  labs,
};

// @ts-check
// Registry Lab course site. Build: `node_modules/.bin/astro build --root site` (Node 22).
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { chapterOrder, sections } from './src/data/chapter.ts';
import quizTells from './src/integrations/quiz-tells.ts';
import { labFolders } from '../checks/lab-schema.ts';

const siteRoot = fileURLToPath(new URL('.', import.meta.url));
/** Where lab folders live; tests may point this at a fixture folder. */
const labsDir = resolve(siteRoot, process.env.RL_LABS_DIR ?? '../labs');
process.env.RL_LABS_DIR = labsDir;

/** Chapter sections, in reading order, and labs in the chapter's order (src/data/chapter.ts). */
const docsDir = join(siteRoot, 'src/content/docs');
/** @param {string} slug */
const hasPage = (slug) => ['.mdx', '.md'].some((ext) => existsSync(join(docsDir, slug + ext)));

/** Labs for the sidebar (validation with the full schema happens in src/content.config.ts). */
function readLabs() {
  if (!existsSync(labsDir)) return [];
  const labs = [];
  for (const name of labFolders(labsDir)) {
    const file = join(labsDir, name, 'lab.json');
    try {
      const lab = JSON.parse(readFileSync(file, 'utf8'));
      // The English title for /en/ (labs/<id>/lab.en.json, read by the site only; see src/lib/lab-text.ts).
      const enFile = join(labsDir, name, 'lab.en.json');
      const titleEn = existsSync(enFile) ? JSON.parse(readFileSync(enFile, 'utf8')).title : undefined;
      labs.push({ id: lab.id ?? name, title: lab.title ?? name, titleEn, order: lab.order ?? 0, minutes: lab.minutes });
    } catch {
      /* reported with a clear message by the content collection loader */
    }
  }
  return chapterOrder(labs);
}

const labs = readLabs();

export default defineConfig({
  site: 'http://127.0.0.1:4321',
  trailingSlash: 'ignore',
  devToolbar: { enabled: false },
  vite: {
    resolve: { alias: { '~': fileURLToPath(new URL('./src', import.meta.url)) } },
    server: { fs: { allow: [siteRoot, labsDir, resolve(siteRoot, '..')] } },
  },
  integrations: [
    // Quiz options must not give the answer away; the build fails with the question ids (quiz/tells.ts).
    quizTells(siteRoot),
    starlight({
      title: { ru: 'Registry Lab: распространение образов', en: 'Registry Lab: image distribution' },
      defaultLocale: 'root',
      locales: {
        root: { label: 'Русский', lang: 'ru' },
        en: { label: 'English', lang: 'en' },
      },
      lastUpdated: false,
      pagefind: true,
      customCss: ['./src/styles/custom.css'],
      components: {
        Footer: './src/components/overrides/Footer.astro',
        Banner: './src/components/overrides/Banner.astro',
      },
      sidebar: [
        { label: 'Глава 7. Распространение образов', translations: { en: 'Chapter 7. Image distribution' }, link: '/' },
        ...sections.filter((s) => hasPage(s.slug)).map((s) => ({ slug: s.slug })),
        // The chapter's terms (ru: glossary.mdx, en: en/glossary.mdx; a missing English page falls back to the Russian one).
        ...(hasPage('glossary') ? [{ slug: 'glossary', label: 'Глоссарий', translations: { en: 'Glossary' } }] : []),
        {
          label: 'Лабораторные работы',
          translations: { en: 'Labs' },
          items: labs.map((lab) => ({
            label: lab.title,
            ...(lab.titleEn ? { translations: { en: lab.titleEn } } : {}),
            link: `/labs/${lab.id}/`,
            ...(lab.minutes ? { badge: { text: { ru: `${lab.minutes} мин`, en: `${lab.minutes} min` }, variant: /** @type {const} */ ('note') } } : {}),
          })),
        },
      ],
    }),
  ],
});

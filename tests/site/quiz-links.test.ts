/**
 * Every quiz question says where the page teaches it (`see`), and that heading exists: the same
 * rule the build enforces in Quiz.astro, checked here without a build. Slugs as Astro makes them
 * (github-slugger over the heading text).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import GithubSlugger from 'github-slugger';

const site = join(import.meta.dirname, '..', '..', 'site', 'src');
const quizDir = join(site, 'data', 'quizzes');

/** The page's headings in order: depth and slug. `page` is "docker-hub" or "en/docker-hub". */
function headings(page: string): Array<{ depth: number; slug: string }> {
  const file = join(site, 'content', 'docs', `${page}.mdx`);
  if (!existsSync(file)) return [];
  const slugger = new GithubSlugger();
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/^(#{2,4}) (.+)$/gm)].map((m) => ({ depth: m[1]!.length, slug: slugger.slug(m[2]!.replace(/`/g, '')) }));
}
const headingIds = (page: string) => new Set(headings(page).map((h) => h.slug));

test('every question links to a heading that exists', () => {
  const problems: string[] = [];
  for (const name of readdirSync(quizDir).filter((n) => n.endsWith('.yaml'))) {
    const quiz = parse(readFileSync(join(quizDir, name), 'utf8')) as { section: string; questions: Array<{ id: string; see?: string }> };
    for (const q of quiz.questions) {
      const m = /^(?:\/([a-z0-9-]+)\/)?#(.+)$/u.exec(q.see ?? '');
      if (!m) {
        problems.push(`${quiz.section}/${q.id}: no "see"`);
        continue;
      }
      const page = m[1] ?? quiz.section;
      if (!headingIds(page).has(m[2]!)) problems.push(`${quiz.section}/${q.id}: ${q.see} is not a heading of /${page}/`);
    }
  }
  assert.deepEqual(problems, []);
});

test('on English pages every question links to the English heading at the same position (as Quiz.astro maps them)', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const name of readdirSync(quizDir).filter((n) => n.endsWith('.yaml'))) {
    const quiz = parse(readFileSync(join(quizDir, name), 'utf8')) as { section: string; questions: Array<{ id: string; see?: string }> };
    for (const q of quiz.questions) {
      const m = /^(?:\/([a-z0-9-]+)\/)?#(.+)$/u.exec(q.see ?? '');
      if (!m) continue; // the test above reports it
      const page = m[1] ?? quiz.section;
      const ru = headings(page);
      const en = headings(`en/${page}`);
      const i = ru.findIndex((h) => h.slug === m[2]);
      if (i < 0) continue;
      checked++;
      if (en.length !== ru.length || en[i]?.depth !== ru[i]!.depth) problems.push(`${quiz.section}/${q.id}: /en/${page}/ does not follow the Russian outline at heading ${i + 1}`);
      else if (/[\u0400-\u04FF]/u.test(en[i]!.slug)) problems.push(`${quiz.section}/${q.id}: the English heading ${i + 1} of /en/${page}/ is not in English (#${en[i]!.slug})`);
    }
  }
  assert.ok(checked > 50, `only ${checked} links checked`);
  assert.deepEqual(problems, []);
});

test('every section page opens with "you will learn" and ends with "the main points" before its quiz', () => {
  for (const name of readdirSync(quizDir).filter((n) => n.endsWith('.yaml') && n !== 'summary.yaml')) {
    const page = readFileSync(join(site, 'content', 'docs', name.replace('.yaml', '.mdx')), 'utf8');
    const learn = page.indexOf(':::note[Вы узнаете]');
    const firstHeading = page.search(/^## /m);
    assert.ok(learn > 0 && learn < firstHeading, `${name}: "Вы узнаете" before the first section`);
    const main = page.indexOf('## Главное');
    assert.ok(main > 0 && main < page.indexOf('## Проверьте себя'), `${name}: "Главное" before the quiz`);
  }
});

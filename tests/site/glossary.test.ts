/**
 * The Russian text of the chapter follows the glossary (site/src/content/docs/glossary.mdx): the forms
 * it rules out do not appear in the Russian pages, quizzes and lab pages. English text (en/ pages,
 * English quiz fields) is not checked here; the patterns are Russian anyway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { labFolders } from '../../checks/lab-schema.ts';

const root = join(import.meta.dirname, '..', '..');
const docs = join(root, 'site', 'src', 'content', 'docs');
const quizzes = join(root, 'site', 'src', 'data', 'quizzes');
const labs = join(root, 'labs');

/** A word that starts and ends here: \b does not work for Cyrillic letters. */
const W = (body: string) => new RegExp(`(?<!\\p{L})(?:${body})(?!\\p{L})`, 'giu');

/** Ruled-out forms → what the glossary says to write instead. */
export const RULED_OUT: Array<{ re: RegExp; use: string }> = [
  { re: W('лаб(?:а|ы|е|у|ой|ам|ами|ах)'), use: '«лабораторная работа», «лабораторная»' },
  { re: W('(?:за)?депло\\p{L}*'), use: '«развёртывание», «развернуть»' },
  { re: W('переве(?:с|ш)\\p{L}*'), use: '«перенести тег (на другой образ)»' },
  { re: W('(?:пере)?зали(?:ть|л|ла|ли|то|тый|того|тым|той|тых|вать|вает|вают|ваем)|залей'), use: '«отправить (push)»' },
  { re: W('кача(?:ть|ет|ют|ем|ешь|й|йте|л|ла|ли|ть)'), use: '«скачать (pull)»' },
  { re: W('(?:за)?пуш\\p{L}*|с?пулл\\p{L}*'), use: '«отправить (push)», «скачать (pull)»' },
  { re: W('тэг\\p{L}*'), use: '«тег»' },
  { re: W('регистри'), use: '«реестр»' },
  { re: /\d\s+(?:pull|push)\p{L}*\s+(?:в|за|на)(?!\p{L})/giu, use: '«10 скачиваний в час»: push и pull латиницей — только название операции, без числа' },
  {
    re: /(?<!\p{L})загру\p{L}*\s+(?:[\p{L}`:.\-\d]+\s+){0,3}?(?:в\s+(?:[\p{L}`:.\d]+\s+)?реестр|на\s+(?:Docker\s+)?Hub|с\s+Docker\s+Hub|из\s+(?:Docker\s+Hub|реестра))/giu,
    use: '«отправить в реестр (push)», «скачать из реестра (pull)»; «загрузить» — только из архива (docker load) и о загрузке блоба',
  },
  { re: W('загрузк\\p{L}*\\s+образа'), use: '«отправка образа (push)» или «скачивание образа (pull)»' },
  { re: W('Лаба практикует'), use: '«Задание опирается на раздел…»' },
];

/** Russian text files of the chapter: pages at the docs root (not en/), quizzes, lab pages. */
function russianFiles(): string[] {
  const files: string[] = [];
  for (const n of readdirSync(docs)) if (/\.mdx?$/.test(n) && n !== 'glossary.mdx') files.push(join(docs, n));
  for (const n of readdirSync(quizzes)) if (/\.ya?ml$/.test(n)) files.push(join(quizzes, n));
  for (const id of labFolders(labs)) {
    const page = join(labs, id, 'page.mdx');
    if (existsSync(page)) files.push(page);
  }
  return files;
}

/** Hits of the ruled-out forms in a text, as "line: form → use". */
export function glossaryProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const { re, use } of RULED_OUT) {
      re.lastIndex = 0;
      for (const m of line.matchAll(re)) problems.push(`${i + 1}: «${m[0]}» → ${use}`);
    }
  });
  // A form split over two lines ("загрузить образ\nв реестр").
  for (let i = 0; i + 1 < lines.length; i++) {
    const joined = `${lines[i]} ${lines[i + 1]}`;
    for (const { re, use } of RULED_OUT) {
      re.lastIndex = 0;
      for (const m of joined.matchAll(re)) if (m.index! < lines[i]!.length && m.index! + m[0].length > lines[i]!.length) problems.push(`${i + 1}–${i + 2}: «${m[0]}» → ${use}`);
    }
  }
  return problems;
}

test('the glossary page exists and is in the sidebar for both languages', () => {
  const page = readFileSync(join(docs, 'glossary.mdx'), 'utf8');
  for (const term of ['реестр', 'репозиторий', 'тег', 'дайджест', 'манифест', 'отправить', 'скачать', 'лабораторная работа', 'развёртывание'])
    assert.ok(page.includes(`**${term}**`), `glossary.mdx defines «${term}»`);
  const config = readFileSync(join(root, 'site', 'astro.config.mjs'), 'utf8');
  assert.match(config, /slug: 'glossary', label: 'Глоссарий', translations: \{ en: 'Glossary' \}/);
});

test('the ruled-out forms are caught, the allowed ones are not', () => {
  const bad = [
    'Лаба практикует раздел', 'в этой лабе', 'неподписанный деплой', 'тег могли перевесить', 'образ, а не перезалитого',
    'качать через зеркало', 'запушить образ', '10 pull в час', 'загрузить образ в реестр', 'загрузить образ `nginx` из Docker Hub',
    'перед ручной сборкой и загрузкой образа', 'тэг', 'регистри',
  ];
  for (const text of bad) assert.ok(glossaryProblems(text).length > 0, `caught: ${text}`);
  const good = [
    'лабораторная работа', 'скачать образ', 'скачивание', 'развёртывание', 'перенести тег', 'отправить образ в реестр',
    'загрузить образ из архива (docker load)', 'после загрузки образ готов к запуску', 'загрузка блоба', 'сеанс загрузки',
    'Hub регистрирует вебхук', 'при push и pull', '100 pull requests', 'регистрирует', 'лабораторной',
  ];
  for (const text of good) assert.deepEqual(glossaryProblems(text), [], text);
});

test('Russian pages, quizzes and lab pages use the glossary terms', () => {
  const problems = russianFiles().flatMap((f) => glossaryProblems(readFileSync(f, 'utf8')).map((p) => `${f.slice(root.length + 1)}:${p}`));
  assert.deepEqual(problems, []);
});

/**
 * Sections with a quiz, as gradable activities: id, title (ru/en, from the section page's
 * front matter) and how many questions the quiz has (the score maximum). A section's score is
 * its share of right answers: scoreGiven = questions of the section answered right (latest
 * answer of each), scoreMaximum = its questions; FullyGraded once every question is answered.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ScoreBody } from './score-body.ts';

export interface QuizSection {
  id: string;
  title: { ru: string; en: string };
  questions: string[];
}

/** Grade targets of a quiz are stored under this key instead of a lab id. */
export const quizKey = (section: string) => `quiz:${section}`;

const quizFile = z.object({ section: z.string(), questions: z.array(z.object({ id: z.string() }).loose()) }).loose();

function frontTitle(file: string): string | null {
  if (!existsSync(file)) return null;
  const m = /^---\n[\s\S]*?^title:\s*(.+)$/m.exec(readFileSync(file, 'utf8'));
  return m ? m[1]!.trim().replace(/^["']|["']$/g, '') : null;
}

let cached: { dir: string; sections: QuizSection[] } | null = null;

/** `siteSrc`: site/src (quizzes in data/quizzes, pages in content/docs). */
export function quizSections(siteSrc: string): QuizSection[] {
  if (cached?.dir === siteSrc) return cached.sections;
  const dir = join(siteSrc, 'data', 'quizzes');
  const sections: QuizSection[] = [];
  for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort() : []) {
    try {
      const q = quizFile.parse(parse(readFileSync(join(dir, f), 'utf8')));
      const ru = frontTitle(join(siteSrc, 'content', 'docs', `${q.section}.mdx`)) ?? q.section;
      const en = frontTitle(join(siteSrc, 'content', 'docs', 'en', `${q.section}.mdx`)) ?? ru;
      sections.push({ id: q.section, title: { ru, en }, questions: q.questions.map((x) => `${q.section}/${x.id}`) });
    } catch {
      /* a broken quiz is the quiz bank's to report */
    }
  }
  cached = { dir: siteSrc, sections };
  return sections;
}

export function quizScore(userId: string, section: QuizSection, answers: Record<string, { correct: boolean; at: number }>): ScoreBody {
  const answered = section.questions.filter((q) => answers[q]);
  const right = answered.filter((q) => answers[q]!.correct).length;
  const last = Math.max(0, ...answered.map((q) => answers[q]!.at));
  const done = answered.length === section.questions.length;
  return {
    userId,
    scoreGiven: right,
    scoreMaximum: section.questions.length,
    timestamp: new Date(last || Date.now()).toISOString(),
    activityProgress: done ? 'Completed' : 'InProgress',
    gradingProgress: done ? 'FullyGraded' : 'Pending',
  };
}

/**
 * Schema of a quiz file, site/src/data/quizzes/<section>.yaml, in plain zod. Used by the site's
 * `quizzes` content collection (site/src/content.config.ts: a broken question fails the build with
 * the question id and the problem) and by the runner's grading (runner/src/core/quiz.ts).
 * Unit tests: tests/quiz/schema.test.ts.
 */
import { z } from 'zod';
import { giveawayProblems } from './order.ts';

export const optionSchema = z.object({ text: z.string().min(1), correct: z.boolean().default(false) });

export const questionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'question ids are kebab-case (a-z, 0-9, -)'),
    type: z.enum(['single', 'multiple', 'text', 'command']),
    kind: z.enum(['self-check', 'short']).default('self-check'),
    prompt: z.string().min(3),
    options: z.array(optionSchema).optional(),
    answers: z.array(z.string().min(1)).optional(),
    explanation: z.string().min(3),
    /**
     * Where the page teaches it: `#heading-id` on the quiz's own page, or `/page/#heading-id`. The
     * explanation links there; the build fails when the heading does not exist (Quiz.astro).
     */
    see: z.string().regex(/^(\/[a-z0-9-]+\/)?#[^\s#]+$/u, 'see is "#heading-id" or "/page/#heading-id"'),
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

export const quizFileSchema = z
  .object({
    section: z.string().min(1),
    questions: z.array(questionSchema).min(1, 'a quiz needs at least one question'),
  })
  .superRefine((quiz, ctx) => {
    const seen = new Set<string>();
    quiz.questions.forEach((q, i) => {
      if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id "${q.id}" in section ${quiz.section}` });
      seen.add(q.id);
    });
    // Position and length of the right option must not give it away (rule: quiz/order.ts).
    for (const message of giveawayProblems(quiz.section, quiz.questions)) ctx.addIssue({ code: 'custom', path: ['questions'], message });
  });

export type QuizFile = z.infer<typeof quizFileSchema>;
export type Question = z.infer<typeof questionSchema>;

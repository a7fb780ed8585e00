/**
 * Astro integration: the chapter's quizzes must not give the right option away by its length or
 * position (rules: quiz/tells.ts). `astro build` fails with the question ids that break a rule;
 * `astro dev` only warns, so a quiz being written can be looked at.
 */
import type { AstroIntegration } from 'astro';
import { resolve } from 'node:path';
import { readQuizDir, tellProblems } from '../../../quiz/tells.ts';
import { readQuizzes } from '../../../quiz/load.ts';

/** siteRoot: the Astro root; the quizzes are in src/data/quizzes there, or in RL_QUIZ_DIR (relative to it), as for the content collection. */
export default function quizTells(siteRoot: string): AstroIntegration {
  return {
    name: 'registry-lab-quiz-tells',
    hooks: {
      'astro:config:setup': ({ command, logger }) => {
        const dir = resolve(siteRoot, process.env.RL_QUIZ_DIR ?? 'src/data/quizzes');
        // Overlay problems first (a missing id would leave Russian text in the English numbers).
        const overlayProblems = readQuizzes(dir).problems;
        if (overlayProblems.length) {
          const message = `quiz text overlays do not match the quiz files (quiz/load.ts):\n  - ${overlayProblems.join('\n  - ')}`;
          if (command === 'build') throw new Error(message);
          logger.warn(message);
        }
        const problems = tellProblems(readQuizDir(dir));
        if (problems.length === 0) return;
        const text = `quiz options give the answer away (rules: quiz/tells.ts; numbers: node --test tests/quiz/tells.test.ts):\n  - ${problems.join('\n  - ')}`;
        if (command === 'build') throw new Error(text);
        logger.warn(text);
      },
    },
  };
}

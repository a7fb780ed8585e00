/**
 * Order in which a choice question shows its options, and the build-time rule against giveaways.
 *
 * Options are shown shuffled with a seed taken from the question id, so the order is the same on
 * every load and in every build (screenshots and e2e tests stay stable) but does not follow the
 * file, where authors tend to write the right answer first. Inputs keep the option's index in the
 * file as their value, so grading (site and runner) never depends on the shown order.
 *
 * The rule (checked per quiz file, see giveawayProblems), applied to the order shown (the stricter
 * chapter-wide rules, in every language, are in quiz/tells.ts and fail the build too):
 *  - single choice, when a section has at least 4 such questions: the right option is the strictly
 *    longest one in no more than half of them, and no position (1st, 2nd, …) holds the right option
 *    in more than half of them;
 *  - multiple choice, when a section has at least 2 such questions: in no more than half of them
 *    are all the right options shown before every wrong one, and in no more than half of them is
 *    every right option longer than every wrong one.
 */

/** FNV-1a, 32 bits. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for ordering four options. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices into the file's options, in the order they are shown. Same id and count → same order. */
export function optionOrder(questionId: string, count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const next = random(hash(`quiz:${questionId}`));
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

interface ChoiceQuestion {
  id: string;
  type: string;
  options?: Array<{ text: string; correct: boolean }> | undefined;
}

/** Length as a reader sees it: markdown backticks and repeated spaces do not count. */
const shownLength = (text: string) => text.replace(/`/g, '').replace(/\s+/g, ' ').trim().length;

/** Problems of a section's choice questions under the giveaway rule; empty when it holds. */
export function giveawayProblems(section: string, questions: readonly ChoiceQuestion[]): string[] {
  const problems: string[] = [];
  const shown = (q: ChoiceQuestion) => optionOrder(q.id, q.options!.length).map((i) => q.options![i]!);

  const single = questions.filter((q) => q.type === 'single' && q.options && q.options.length > 1);
  if (single.length >= 4) {
    const longest = single.filter((q) => {
      const right = q.options!.find((o) => o.correct);
      return right && q.options!.every((o) => o === right || shownLength(o.text) < shownLength(right.text));
    });
    if (longest.length * 2 > single.length) {
      problems.push(
        `section ${section}: the right option is the longest in ${longest.length} of ${single.length} single-choice questions ` +
          `(at most half allowed): ${longest.map((q) => q.id).join(', ')}. Shorten the right option or write longer wrong ones.`,
      );
    }
    const byPosition = new Map<number, string[]>();
    for (const q of single) {
      const pos = shown(q).findIndex((o) => o.correct);
      byPosition.set(pos, [...(byPosition.get(pos) ?? []), q.id]);
    }
    for (const [pos, ids] of byPosition) {
      if (ids.length * 2 > single.length) {
        problems.push(
          `section ${section}: the right option is shown in position ${pos + 1} in ${ids.length} of ${single.length} single-choice questions ` +
            `(at most half allowed): ${ids.join(', ')}. Reorder the options of one of them in the file (the shown order follows the file order).`,
        );
      }
    }
  }

  const multiple = questions.filter((q) => q.type === 'multiple' && q.options && q.options.length > 1);
  if (multiple.length >= 2) {
    const rightFirst = multiple.filter((q) => {
      const s = shown(q);
      const firstWrong = s.findIndex((o) => !o.correct);
      return firstWrong === -1 || s.slice(firstWrong).every((o) => !o.correct);
    });
    if (rightFirst.length * 2 > multiple.length) {
      problems.push(
        `section ${section}: all right options are shown before the wrong ones in ${rightFirst.length} of ${multiple.length} multiple-choice questions ` +
          `(at most half allowed): ${rightFirst.map((q) => q.id).join(', ')}. Reorder the options of one of them in the file.`,
      );
    }
    const rightLonger = multiple.filter((q) => {
      const right = q.options!.filter((o) => o.correct).map((o) => shownLength(o.text));
      const wrong = q.options!.filter((o) => !o.correct).map((o) => shownLength(o.text));
      return wrong.length > 0 && Math.min(...right) > Math.max(...wrong);
    });
    if (rightLonger.length * 2 > multiple.length) {
      problems.push(
        `section ${section}: every right option is longer than every wrong one in ${rightLonger.length} of ${multiple.length} multiple-choice questions ` +
          `(at most half allowed): ${rightLonger.map((q) => q.id).join(', ')}.`,
      );
    }
  }
  return problems;
}

/**
 * The header of a known-wrong solution (labs/<id>/wrong/<name>.sh), in its first 30 lines:
 *
 *   # expect-fail: crit-a, crit-b
 *   # expect-message: crit-a: <JavaScript regex source matched against crit-a's message>
 *   # expect-message-en: crit-a: <regex matched against crit-a's English message> (optional)
 *
 * expect-fail names exactly the criteria that must fail after the script (all others must
 * pass or be optional and unchanged); each expect-message line names one of them and the
 * pattern its message must match, so the script fails for the reason it was written for.
 */
export interface WrongExpectation {
  fail: string[];
  /** `lang`: which rendering of the message the pattern is matched against (expect-message: ru). */
  messages: Array<{ criterion: string; pattern: RegExp; lang: 'ru' | 'en' }>;
}

/** Parses the header; throws an Error saying what is missing or malformed. */
export function parseWrongHeader(text: string, criterionIds: readonly string[]): WrongExpectation {
  const fail: string[] = [];
  const messages: WrongExpectation['messages'] = [];
  for (const raw of text.split('\n').slice(0, 30)) {
    const line = raw.trim();
    const f = /^#\s*expect-fail:\s*(.*)$/.exec(line);
    if (f) fail.push(...f[1].split(/[,\s]+/).filter(Boolean));
    const m = /^#\s*expect-message(-en)?:\s*([a-z][a-z0-9-]*):\s*(.+)$/.exec(line);
    if (m) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(m[3].trim(), 'i');
      } catch (err) {
        throw new Error(`expect-message for "${m[2]}" is not a valid regex: ${(err as Error).message}`);
      }
      messages.push({ criterion: m[2], pattern, lang: m[1] ? 'en' : 'ru' });
    } else if (/^#\s*expect-message(-en)?:/.test(line)) {
      throw new Error(`malformed expect-message line (want "# expect-message: <criterion>: <regex>"): ${line}`);
    }
  }
  if (!fail.length) throw new Error('the header has no "# expect-fail: <criterion>, ..." line (or it names nothing)');
  if (!messages.length) throw new Error('the header has no "# expect-message: <criterion>: <regex>" line');
  for (const id of fail) if (!criterionIds.includes(id)) throw new Error(`expect-fail names unknown criterion "${id}"`);
  if (new Set(fail).size !== fail.length) throw new Error('expect-fail names a criterion twice');
  for (const { criterion } of messages) {
    if (!fail.includes(criterion)) throw new Error(`expect-message names "${criterion}", which expect-fail does not list`);
  }
  return { fail, messages };
}

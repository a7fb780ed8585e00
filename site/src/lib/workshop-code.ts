/**
 * Workshop join codes as people type them: "abc def", "Abc-Def", "ABCDEF" are the same code.
 * The runner forgives the same things; normalising here too lets the page show the code back
 * in its canonical form and reject an obviously short one before asking the runner.
 */

/** Upper case, every separator (spaces, dashes, dots, underscores) removed. */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** "ABCDEF" → "ABC-DEF" (the form printed on the board); other lengths stay as they are. */
export function formatCode(input: string): string {
  const c = normalizeCode(input);
  return c.length === 6 ? `${c.slice(0, 3)}-${c.slice(3)}` : c;
}

/** Plausible enough to send: 4..12 letters or digits once separators are gone. */
export function isPlausibleCode(input: string): boolean {
  const c = normalizeCode(input);
  return c.length >= 4 && c.length <= 12;
}

/** The join link for a code, on this site. */
export function joinLink(origin: string, code: string): string {
  return `${origin}/join/?code=${encodeURIComponent(formatCode(code))}`;
}

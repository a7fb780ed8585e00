/**
 * Text answers: case, spaces, punctuation and ё/е do not matter; an accepted answer ending in ` …`
 * accepts anything after its words (`COPY --from=build …` accepts `COPY --from=build /out/app /app`).
 */

/** Text answers: compare case-, space- and punctuation-insensitively (ё = е). */
export function normalizeText(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKC')
    .replace(/ё/g, 'е')
    .replace(/[\p{P}\p{S}\s]+/gu, '');
}

/** An accepted answer ending in ` …` (or ` ...`) accepts anything after those words. */
const OPEN_END = /\s+(?:…|\.\.\.)$/;

export function textMatches(given: string, accepted: readonly string[]): boolean {
  const g = normalizeText(given);
  if (!g) return false;
  // Word-boundary prefixes of the answer: "COPY --from=build /out/app /app" → "copyfrombuild", "copyfrombuildoutapp", …
  const words = given.trim().split(/\s+/);
  const prefixes = new Set(words.map((_, i) => normalizeText(words.slice(0, i + 1).join(' '))));
  return accepted.some((a) => (OPEN_END.test(a) ? prefixes.has(normalizeText(a.replace(OPEN_END, ''))) : normalizeText(a) === g));
}

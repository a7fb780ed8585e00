/**
 * `docker history` / image-config history helpers: a learner copies a command out of
 * `docker history --no-trunc`, which shows it with builder decorations that depend on the
 * builder (classic: `/bin/sh -c #(nop) ...`, BuildKit: `RUN /bin/sh -c ... # buildkit`,
 * with build args: `|1 VERSION=1 /bin/sh -c ...`). These helpers strip them so two spellings
 * of the same instruction compare equal.
 */

const PREFIXES: RegExp[] = [
  /^RUN\s+/i,
  /^\|\d+(?:\s+[A-Za-z_][A-Za-z0-9_]*=\S*)*\s+/, // |1 VERSION=1.2 (build args of a RUN)
  /^\/bin\/(?:ba)?sh\s+-c\s+/,
  /^(?:ba)?sh\s+-c\s+/,
  /^#\(nop\)\s*/,
];

/**
 * The instruction as written, without builder decorations: `RUN `, `|N ARG=..`, `/bin/sh -c `,
 * `#(nop) `, a trailing `# buildkit`; whitespace runs collapsed to one space. Keeps `COPY`,
 * `ENV`, `CMD`... keywords of non-RUN instructions.
 */
export function normalizeHistoryCommand(createdBy: string): string {
  let s = createdBy.replace(/\r/g, '').trim();
  // a pasted `docker history` line may be wrapped in quotes
  if (s.length > 1 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) s = s.slice(1, -1).trim();
  s = s.replace(/\s+#\s*buildkit\s*$/i, '');
  for (let changed = true; changed; ) {
    changed = false;
    for (const re of PREFIXES) {
      const next = s.replace(re, '');
      if (next !== s) {
        s = next.trim();
        changed = true;
      }
    }
  }
  return s.replace(/\s+/g, ' ').trim();
}

/** Key for comparing commands: normalized, then every whitespace removed. */
export function historyCommandKey(createdBy: string): string {
  return normalizeHistoryCommand(createdBy).replace(/\s+/g, '');
}

/** True when two history commands are the same instruction, ignoring decorations and whitespace. */
export function sameHistoryCommand(a: string, b: string): boolean {
  const ka = historyCommandKey(a);
  return ka.length > 0 && ka === historyCommandKey(b);
}

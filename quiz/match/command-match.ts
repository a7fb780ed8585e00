/**
 * Normalises shell commands typed as quiz answers so that equivalent forms compare equal.
 * Pure functions, no DOM: used by the Quiz client script and by tests/quiz/command-match.test.ts.
 *
 * Equivalences:
 *  - a leading `$ ` prompt, `sudo `, repeated spaces, quotes around plain words;
 *  - docker management-command aliases (`docker image pull` = `docker pull`, …);
 *  - image references: `nginx` = `library/nginx` = `docker.io/library/nginx` (= `index.docker.io/…`),
 *    a missing tag means `:latest`;
 *  - flag order, `--flag=value` = `--flag value` (long flags), short aliases of long flags
 *    (`-t` = `--tag` for build, `-a` = `--all`, …), combined short booleans (`-it` = `-i -t`);
 *  - the same for curl, htpasswd and cosign (PROGRAMS); for curl also a missing `http://` and the
 *    flags that only change how output looks (`-s`, `-S`, `-f`, `-L`);
 *  - a trailing `| jq` (or `| jq .`) that only pretty-prints.
 * Text answers: quiz/match/text-match.ts (re-exported here).
 */

import { DOCKER_ALIASES, IMAGE_FLAGS, IMAGE_POSITIONALS, SHORT_ALIASES, SHORT_VALUE_FLAGS, STOP_AFTER_FIRST_POSITIONAL, VALUE_FLAGS } from './docker-cli.ts';
import { parseWords } from './command-flags.ts';
import { PROGRAMS, canonicalGeneric, withScheme } from './command-programs.ts';
import { normalizeImageRef } from './image-ref.ts';
import { stripPrefixes, tokenize } from './command-words.ts';

export { normalizeImageRef } from './image-ref.ts';
export { tokenize } from './command-words.ts';
export { normalizeText, textMatches } from './text-match.ts';

/** Canonical token list of one command (for docker: sub-command aliases, sorted flags, image refs). */
export function canonicalCommand(input: string): string[] {
  const line = input
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\$\s*/, '')
    // `… | jq` or `| jq .` only pretty-prints the answer's output.
    .replace(/\s*\|\s*(?:jq(?:\s+\.)?|python3? -m json\.tool)\s*$/, '');
  const words = stripPrefixes(tokenize(line));
  if (words.length === 0) return [];
  const program = words[0]!;
  if (program !== 'docker' && program !== 'podman') {
    const spec = PROGRAMS[program];
    if (!spec) return canonicalGeneric(words);
    const { flags, positionals } = parseWords(words.slice(1), spec);
    return [program, ...flags, ...(spec.url ? positionals.map(withScheme) : positionals)];
  }

  let rest = words.slice(1);
  // Global flags before the sub-command are rare in answers; keep them as they are.
  let sub: string[] = [];
  for (const [from, to] of DOCKER_ALIASES) {
    if (from.every((w, i) => rest[i] === w)) {
      sub = to;
      rest = rest.slice(from.length);
      break;
    }
  }
  if (!sub.length) {
    // Keep multi-word groups (manifest inspect, buildx imagetools inspect, image prune, …) as the sub-command.
    const groups = ['buildx imagetools', 'image', 'container', 'manifest', 'system', 'buildx', 'trust', 'volume', 'network', 'builder', 'context'];
    const two = rest.slice(0, 2).join(' ');
    if (groups.includes(two) && rest[2] && !rest[2].startsWith('-')) {
      sub = rest.slice(0, 3);
      rest = rest.slice(3);
    } else if (groups.includes(rest[0] ?? '') && rest[1] && !rest[1].startsWith('-')) {
      sub = rest.slice(0, 2);
      rest = rest.slice(2);
    } else if (rest[0]) {
      sub = [rest[0]];
      rest = rest.slice(1);
    }
  }
  const subKey = sub.join(' ');
  const aliases = { ...SHORT_ALIASES['*'], ...(SHORT_ALIASES[subKey] ?? {}) };
  const shortValue = SHORT_VALUE_FLAGS[subKey] ?? new Set<string>();

  const { flags, positionals } = parseWords(rest, {
    aliases,
    shortValue,
    longValue: VALUE_FLAGS,
    imageFlags: IMAGE_FLAGS,
    stopAfterFirstPositional: STOP_AFTER_FIRST_POSITIONAL.has(subKey),
  });
  const imageMode = IMAGE_POSITIONALS[subKey];
  const normPositionals = positionals.map((p, idx) =>
    imageMode === 'all' || (imageMode === 'first' && idx === 0) ? normalizeImageRef(p) : p,
  );
  return ['docker', ...sub, ...flags, ...normPositionals];
}

/** Is `given` equivalent to one of the `accepted` commands? */
export function commandMatches(given: string, accepted: readonly string[]): boolean {
  const g = canonicalCommand(given).join('\u0000');
  if (!g) return false;
  return accepted.some((a) => canonicalCommand(a).join('\u0000') === g);
}

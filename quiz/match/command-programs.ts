import type { FlagSpec } from './command-flags.ts';

/**
 * Other programs whose answers the quizzes accept: their short flags, which of them take a value,
 * and flags that only change how output looks. Flag order and `-abc` = `-a -b -c` then do not matter.
 */
export const PROGRAMS: Record<string, FlagSpec & { url?: boolean }> = {
  curl: {
    aliases: {
      '-s': '--silent', '-S': '--show-error', '-i': '--include', '-I': '--head', '-L': '--location', '-f': '--fail',
      '-X': '--request', '-H': '--header', '-o': '--output', '-k': '--insecure', '-v': '--verbose', '-u': '--user',
      '-d': '--data', '-D': '--dump-header', '-w': '--write-out',
    },
    shortValue: new Set(['-X', '-H', '-o', '-u', '-d', '-D', '-w', '-A', '-e', '-T']),
    longValue: new Set(['--request', '--header', '--output', '--user', '--data', '--data-binary', '--dump-header', '--write-out']),
    ignore: new Set(['--silent', '--show-error', '--fail', '--location']),
    url: true,
  },
  htpasswd: { aliases: {}, shortValue: new Set(), longValue: new Set() },
  cosign: {
    aliases: { '-a': '--annotations', '-y': '--yes' },
    shortValue: new Set(['-a']),
    longValue: new Set(['--key', '--certificate-identity', '--certificate-oidc-issuer', '--signature', '--output', '--annotations', '--type', '--predicate']),
  },
};

/** `localhost:5000/v2/` = `http://localhost:5000/v2/` (curl's default scheme). */
export const withScheme = (url: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);

/** Any other program: only `--flag=value` vs `--flag value` is unknowable, so just keep the words. */
export function canonicalGeneric(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = w.indexOf('=');
    if (w.startsWith('--') && eq > 2) {
      out.push(w.slice(0, eq), w.slice(eq + 1));
    } else out.push(w);
  }
  return out;
}


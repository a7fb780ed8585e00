/**
 * Normalises shell commands typed as quiz answers so that equivalent forms compare equal.
 * Pure functions, no DOM: used by the Quiz client script and by tests/site/command-match.test.ts.
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
 * Text answers: case, spaces, punctuation and ё/е do not matter; an accepted answer ending in ` …`
 * accepts anything after its words (`COPY --from=build …` accepts `COPY --from=build /out/app /app`).
 */

/** `docker <long form>` → canonical short form. Longest match first. */
const DOCKER_ALIASES: Array<[string[], string[]]> = [
  [['image', 'pull'], ['pull']],
  [['image', 'push'], ['push']],
  [['image', 'tag'], ['tag']],
  [['image', 'ls'], ['images']],
  [['image', 'list'], ['images']],
  [['image', 'rm'], ['rmi']],
  [['image', 'remove'], ['rmi']],
  [['image', 'inspect'], ['inspect']],
  [['image', 'build'], ['build']],
  [['buildx', 'build'], ['build']],
  [['builder', 'build'], ['build']],
  [['image', 'history'], ['history']],
  [['image', 'save'], ['save']],
  [['image', 'load'], ['load']],
  [['image', 'import'], ['import']],
  [['container', 'run'], ['run']],
  [['container', 'create'], ['create']],
  [['container', 'exec'], ['exec']],
  [['container', 'ls'], ['ps']],
  [['container', 'list'], ['ps']],
  [['container', 'ps'], ['ps']],
  [['container', 'rm'], ['rm']],
  [['container', 'remove'], ['rm']],
  [['container', 'stop'], ['stop']],
  [['container', 'start'], ['start']],
  [['container', 'logs'], ['logs']],
  [['container', 'inspect'], ['inspect']],
  [['container', 'commit'], ['commit']],
  [['system', 'info'], ['info']],
  [['trust', 'inspect'], ['trust', 'inspect']],
];

/** Sub-commands whose positional arguments are image references. `first` = only the first one. */
const IMAGE_POSITIONALS: Record<string, 'all' | 'first'> = {
  pull: 'all',
  push: 'all',
  tag: 'all',
  rmi: 'all',
  history: 'all',
  save: 'all',
  run: 'first',
  create: 'first',
  'manifest inspect': 'all',
  'buildx imagetools inspect': 'all',
  'image prune': 'all',
};

/** Sub-commands after whose first positional everything belongs to the container command. */
const STOP_AFTER_FIRST_POSITIONAL = new Set(['run', 'create', 'exec']);

/** Flags whose values are image references. */
const IMAGE_FLAGS = new Set(['--tag', '--cache-from', '--cache-to']);

/** Short → long flag, per docker sub-command (`*` = any). */
const SHORT_ALIASES: Record<string, Record<string, string>> = {
  '*': { '-h': '--help' },
  build: { '-t': '--tag', '-f': '--file', '-q': '--quiet', '-o': '--output' },
  run: {
    '-d': '--detach', '-i': '--interactive', '-t': '--tty', '-p': '--publish', '-v': '--volume',
    '-e': '--env', '-u': '--user', '-w': '--workdir', '-m': '--memory', '-l': '--label', '-P': '--publish-all',
  },
  create: { '-i': '--interactive', '-t': '--tty', '-p': '--publish', '-v': '--volume', '-e': '--env', '-u': '--user', '-w': '--workdir' },
  exec: { '-d': '--detach', '-i': '--interactive', '-t': '--tty', '-e': '--env', '-u': '--user', '-w': '--workdir' },
  pull: { '-a': '--all-tags', '-q': '--quiet' },
  push: { '-a': '--all-tags', '-q': '--quiet' },
  images: { '-a': '--all', '-q': '--quiet', '-f': '--filter' },
  ps: { '-a': '--all', '-q': '--quiet', '-f': '--filter', '-n': '--last', '-s': '--size' },
  rmi: { '-f': '--force' },
  rm: { '-f': '--force', '-v': '--volumes' },
  inspect: { '-f': '--format', '-s': '--size' },
  history: { '-q': '--quiet', '-H': '--human' },
  login: { '-u': '--username', '-p': '--password' },
  save: { '-o': '--output' },
  load: { '-i': '--input', '-q': '--quiet' },
  logs: { '-f': '--follow', '-n': '--tail', '-t': '--timestamps' },
  commit: { '-m': '--message', '-a': '--author', '-c': '--change', '-p': '--pause' },
  'image prune': { '-a': '--all', '-f': '--force' },
  'system prune': { '-a': '--all', '-f': '--force' },
};

/** Long flags that take a value (when written without `=` the next word is the value). */
const VALUE_FLAGS = new Set([
  '--tag', '--file', '--build-arg', '--platform', '--target', '--label', '--output', '--cache-from', '--cache-to',
  '--progress', '--network', '--secret', '--ssh', '--name', '--publish', '--volume', '--env', '--env-file',
  '--user', '--workdir', '--entrypoint', '--restart', '--memory', '--mount', '--hostname', '--filter', '--format',
  '--username', '--password', '--type', '--input', '--tail', '--last', '--message', '--author', '--change',
  '--builder', '--annotation', '--key', '--certificate-identity', '--certificate-oidc-issuer', '--signature',
  '--registry', '--until', '--since', '--pull', '--iidfile', '--metadata-file', '--add-host', '--shm-size',
  '--cpus', '--dest-creds', '--src-creds', '--creds', '--authfile', '--override-os', '--override-arch',
  '--image', '--ulimit', '--expose', '--cidfile', '--config', '--context', '--signal', '--time',
]);

/** Short flags that take a value, per docker sub-command; elsewhere short flags are booleans. */
const SHORT_VALUE_FLAGS: Record<string, Set<string>> = {
  build: new Set(['-t', '-f', '-o']),
  run: new Set(['-p', '-v', '-e', '-u', '-w', '-m', '-l']),
  create: new Set(['-p', '-v', '-e', '-u', '-w']),
  exec: new Set(['-e', '-u', '-w']),
  images: new Set(['-f']),
  ps: new Set(['-f', '-n']),
  inspect: new Set(['-f']),
  login: new Set(['-u', '-p']),
  save: new Set(['-o']),
  load: new Set(['-i']),
  logs: new Set(['-n']),
  commit: new Set(['-m', '-a', '-c']),
};

/** Split a command line into words, honouring single and double quotes and backslashes. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * Canonical form of an image reference: `nginx` → `docker.io/library/nginx:latest`.
 * Digests are kept; a reference that only has a digest gets no `:latest`.
 */
export function normalizeImageRef(ref: string): string {
  let r = ref.trim();
  if (!r || r.startsWith('-') || r === '.' || r.includes('://')) return r;
  let digest = '';
  const at = r.indexOf('@');
  if (at >= 0) {
    digest = r.slice(at);
    r = r.slice(0, at);
  }
  const parts = r.split('/');
  let registry = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = parts.shift()!;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  let path = parts.join('/');
  const lastSlash = path.lastIndexOf('/');
  const colon = path.indexOf(':', lastSlash + 1);
  let tag = '';
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!tag && !digest) tag = 'latest';
  return `${registry}/${path.toLowerCase()}${tag ? `:${tag}` : ''}${digest}`;
}

function stripPrefixes(words: string[]): string[] {
  const w = [...words];
  while (w.length && (w[0] === '$' || w[0] === '#' || w[0] === '>')) w.shift();
  if (w[0]?.startsWith('$') && w[0].length > 1 && !w[0].startsWith('${')) w[0] = w[0].slice(1);
  while (w[0] === 'sudo') {
    w.shift();
    while (w[0]?.startsWith('-')) w.shift(); // sudo -E, sudo -u root would need a value; keep it simple
  }
  return w;
}

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

interface FlagSpec {
  aliases: Record<string, string>;
  shortValue: Set<string>;
  longValue: Set<string>;
  imageFlags?: Set<string>;
  /** Flags that do not change what the command does (curl --silent): dropped. */
  ignore?: Set<string>;
  stopAfterFirstPositional?: boolean;
}

/** Flags (long form, sorted, `--flag=value`) and positionals (in order) of a command's words. */
function parseWords(rest: string[], spec: FlagSpec): { flags: string[]; positionals: string[] } {
  const flags: string[] = [];
  const positionals: string[] = [];
  const addFlag = (name: string, value: string | undefined) => {
    const long = name.startsWith('--') ? name : (spec.aliases[name] ?? name);
    if (spec.ignore?.has(long)) return;
    let v = value;
    if (v !== undefined && spec.imageFlags?.has(long)) v = normalizeImageRef(v);
    flags.push(v === undefined ? long : `${long}=${v}`);
  };
  const shortValue = spec.shortValue;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      if (eq > 0) addFlag(w.slice(0, eq), w.slice(eq + 1));
      else if (spec.longValue.has(w) && i + 1 < rest.length) addFlag(w, rest[++i]);
      else addFlag(w, undefined);
      continue;
    }
    if (w.startsWith('-') && w.length > 1 && !/^-\d/.test(w)) {
      const letters = w.slice(1);
      if (letters.length === 1) {
        if (shortValue.has(w) && i + 1 < rest.length) addFlag(w, rest[++i]);
        else addFlag(w, undefined);
      } else if (shortValue.has(`-${letters[0]}`)) {
        addFlag(`-${letters[0]}`, letters.slice(1)); // -p8080:80
      } else {
        // Combined booleans: -it = -i -t; a value flag may close the group (-it is fine, -dp 80:80 too).
        for (let k = 0; k < letters.length; k++) {
          const f = `-${letters[k]}`;
          if (k === letters.length - 1 && shortValue.has(f) && i + 1 < rest.length) addFlag(f, rest[++i]);
          else addFlag(f, undefined);
        }
      }
      continue;
    }
    positionals.push(w);
    if (spec.stopAfterFirstPositional) {
      positionals.push(...rest.slice(i + 1));
      break;
    }
  }
  flags.sort();
  return { flags, positionals };
}

/**
 * Other programs whose answers the quizzes accept: their short flags, which of them take a value,
 * and flags that only change how output looks. Flag order and `-abc` = `-a -b -c` then do not matter.
 */
const PROGRAMS: Record<string, FlagSpec & { url?: boolean }> = {
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
const withScheme = (url: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);

/** Any other program: only `--flag=value` vs `--flag value` is unknowable, so just keep the words. */
function canonicalGeneric(words: string[]): string[] {
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

/** Is `given` equivalent to one of the `accepted` commands? */
export function commandMatches(given: string, accepted: readonly string[]): boolean {
  const g = canonicalCommand(given).join('\u0000');
  if (!g) return false;
  return accepted.some((a) => canonicalCommand(a).join('\u0000') === g);
}

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

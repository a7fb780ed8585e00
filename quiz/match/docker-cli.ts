/**
 * What the docker CLI's words mean for comparing answers: management-command aliases, which
 * positionals and flags are image references, short flag aliases and which flags take a value.
 */

/** `docker <long form>` → canonical short form. Longest match first. */
export const DOCKER_ALIASES: Array<[string[], string[]]> = [
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
export const IMAGE_POSITIONALS: Record<string, 'all' | 'first'> = {
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
export const STOP_AFTER_FIRST_POSITIONAL = new Set(['run', 'create', 'exec']);

/** Flags whose values are image references. */
export const IMAGE_FLAGS = new Set(['--tag', '--cache-from', '--cache-to']);

/** Short → long flag, per docker sub-command (`*` = any). */
export const SHORT_ALIASES: Record<string, Record<string, string>> = {
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
export const VALUE_FLAGS = new Set([
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
export const SHORT_VALUE_FLAGS: Record<string, Set<string>> = {
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


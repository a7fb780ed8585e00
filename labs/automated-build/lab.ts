import { randomBytes } from 'node:crypto';
import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, msg, pass, sessionRegistry, shortDigest, type Message } from '../../checks/lab-helpers.ts';
import { RegistryClient } from '../../checks/registry-client.ts';

const REPO = 'shop/auto';
const IMAGE = `localhost:5000/${REPO}`;
const LABEL = 'org.opencontainers.image.revision';
/** How long after the push the images may take to appear. */
const WAIT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pushes a new commit to main of ~/git/app.git as the learner, from a throwaway clone.
 * Prints OLD=<sha> and NEW=<sha> before pushing; the push's own output follows. The script is
 * fixed text: the nonce travels as data in `CHECK_NONCE` (never spliced into the script).
 */
export function pushJob(nonce: string): { script: string; env: Record<string, string> } {
  return { script: PUSH_SCRIPT, env: { CHECK_NONCE: nonce } };
}

const PUSH_SCRIPT = `set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! git clone -q --branch main "$HOME/git/app.git" "$tmp/app" 2>"$tmp/clone.err"; then
  echo "CLONE_FAILED"; cat "$tmp/clone.err"; exit 3
fi
cd "$tmp/app"
printf 'registry-lab check %s\\n' "$CHECK_NONCE" > .registry-lab-check
git add .registry-lab-check
git -c user.name='Registry Lab' -c user.email='check@registry-lab.local' -c commit.gpgsign=false commit -q --no-verify -m 'registry-lab: проверка автосборки'
echo "OLD=$(git rev-parse HEAD~1)"
echo "NEW=$(git rev-parse HEAD)"
git push origin HEAD:refs/heads/main 2>&1 || { echo "PUSH_FAILED"; exit 4; }
`;

/** Hook file as git will look for it (core.hooksPath respected). */
const HOOK_STATE = `cd "$HOME/git/app.git" 2>/dev/null || { echo NOREPO; exit 0; }
hp=$(git config core.hooksPath || true)
[ -n "$hp" ] || hp=hooks
case "$hp" in /*) ;; *) hp="$PWD/$hp" ;; esac
f="$hp/post-receive"
if [ ! -e "$f" ]; then echo "MISSING $f"; elif [ ! -x "$f" ]; then echo "NOTEXEC $f"; else echo "OK $f"; fi`;

/** Anything of a build still running in the workstation (docker CLI, buildx, the hook itself)? */
const ACTIVITY = `pgrep -f '(^|/)[d]ocker( |$)|[d]ocker-buildx|[b]uildctl|[p]ost-receive' >/dev/null && echo busy || echo idle`;

interface TagState {
  main: string | null;
  sha: string | null;
}

/** What the check's own push produced; `early` when it could not push at all. */
type Pushed =
  | { early: Message }
  | {
      early?: undefined;
      newRev: string;
      state: TagState;
      mainFresh: boolean;
      mainRev: string | null | undefined;
      shaRev: string | null | undefined;
      pushFailed: boolean;
      pushTail: string;
      pushOutput: string;
      hookNote: Message;
      waitedS: number;
    };

const SKIPPED = 'skipped';

/** Pushes a commit to main as the learner, waits for the images, then puts main back. */
async function pushAndWait(ctx: LabContext): Promise<Pushed> {
  const client = new RegistryClient(ctx.sandbox.registryUrl());
  const hook = (await ctx.sandbox.exec(HOOK_STATE, { timeoutMs: 5_000 })).stdout.trim();
  if (hook === 'NOREPO') return { early: msg('early.no-repo') };

  const mainBefore = await client.headManifest(REPO, 'main');
  const nonce = randomBytes(8).toString('hex');
  const pushStart = Date.now();
  const job = pushJob(nonce);
  const push = await ctx.sandbox.exec(job.script, { env: job.env, timeoutMs: WAIT_MS });
  const pushEnd = Date.now();
  const oldRev = /^OLD=([0-9a-f]{40})$/m.exec(push.stdout)?.[1];
  const newRev = /^NEW=([0-9a-f]{40})$/m.exec(push.stdout)?.[1];
  if (push.exitCode === 124) {
    return { early: msg('early.push-hung', { seconds: WAIT_MS / 1000 }) };
  }
  if (push.stdout.includes('CLONE_FAILED') || !newRev) {
    return { early: msg('early.clone-failed', { output: (push.stdout + push.stderr).split('\n').slice(-3).join(' ').trim().slice(0, 300) }) };
  }
  const pushFailed = push.stdout.includes('PUSH_FAILED');
  const shaTag = `sha-${newRev.slice(0, 7)}`;

  let state: TagState = { main: null, sha: null };
  const read = async (): Promise<TagState> => {
    const [main, sha] = await Promise.all([client.headManifest(REPO, 'main').catch(() => null), client.headManifest(REPO, shaTag).catch(() => null)]);
    return { main, sha };
  };
  let lastChange = pushEnd;
  let idlePolls = 0;
  if (!pushFailed) {
    for (;;) {
      const now = await read();
      if (now.main !== state.main || now.sha !== state.sha) lastChange = Date.now();
      state = now;
      if (state.sha && state.main === state.sha) break; // done
      if (Date.now() - pushStart > WAIT_MS) break;
      if (!hook.startsWith('OK')) break; // no runnable hook: git ran nothing, nothing will come
      // Stop early once nothing is building any more and the registry stayed still.
      const activity = (await ctx.sandbox.exec(ACTIVITY, { timeoutMs: 5_000 })).stdout.trim();
      idlePolls = activity === 'idle' ? idlePolls + 1 : 0;
      if (idlePolls >= 2 && Date.now() - pushEnd >= 3_000 && Date.now() - lastChange >= 3_000) break;
      await sleep(1_000);
    }
  }
  const waitedS = Math.round((Date.now() - pushStart) / 1000);

  // Put main back where the learner left it, so their clone stays in step.
  if (oldRev && !pushFailed) {
    await ctx.sandbox.exec(['git', '-C', `${ctx.sandbox.home}/git/app.git`, 'update-ref', 'refs/heads/main', oldRev, newRev], { timeoutMs: 5_000 }).catch(() => undefined);
  }

  const labelOf = async (ref: string | null): Promise<string | undefined | null> => {
    if (!ref) return null;
    const c = await client.getConfig(REPO, ref).catch(() => null);
    return c?.config?.config?.Labels?.[LABEL];
  };
  const [mainRev, shaRev] = await Promise.all([labelOf(state.main), labelOf(state.sha)]);
  const mainFresh = !!state.main && (state.main === state.sha || mainRev === newRev || (state.main !== mainBefore && !!state.sha));
  const hookPath = hook.slice(hook.indexOf(' ') + 1).replace(ctx.sandbox.home, '~');
  const hookNote = msg(hook.startsWith('MISSING') ? 'hook.missing' : hook.startsWith('NOTEXEC') ? 'hook.not-executable' : 'hook.present', { path: hookPath });
  const pushOutput = push.stdout + push.stderr;
  const pushTail = pushOutput
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('remote:') && l.length > 8)
    .slice(-2)
    .join(' ')
    .slice(0, 300);
  return { newRev, state, mainFresh, mainRev, shaRev, pushFailed, pushTail, pushOutput, hookNote, waitedS };
}

export default defineLab({
  async reset(ctx) {
    await sessionRegistry(ctx).deleteRepository(REPO);
  },

  prepare: pushAndWait,

  criteria: {
    'builds-on-push'(_ctx, p) {
      if (p.early !== undefined) return { passed: false, message: p.early };
      const newShort = p.newRev.slice(0, 7);
      const shaTag = `sha-${newShort}`;
      if (p.pushFailed) {
        return fail('builds-on-push.rejected', { output: p.pushTail || p.pushOutput.split('\n').slice(-2).join(' ').slice(0, 300) });
      }
      if (p.state.sha && p.mainFresh) return pass('builds-on-push.ok', { commit: newShort, seconds: p.waitedS, image: IMAGE, shaTag });
      const missing = [!p.state.sha && `${IMAGE}:${shaTag}`, !p.mainFresh && msg('builds-on-push.updated-main', { image: IMAGE })].filter((x): x is string | Message => Boolean(x));
      const tail = p.pushTail ? msg('builds-on-push.hook-output', { output: p.pushTail }) : '';
      return fail('builds-on-push.timeout', { commit: newShort, seconds: p.waitedS, missing, hookNote: p.hookNote, tail });
    },

    'same-digest'(_ctx, p) {
      if (p.early !== undefined) return fail(SKIPPED);
      const { main, sha } = p.state;
      const shaTag = `sha-${p.newRev.slice(0, 7)}`;
      if (sha && main && sha === main) return pass('same-digest.ok', { shaTag, digest: shortDigest(sha) });
      if (sha && main) return fail('same-digest.different', { main: shortDigest(main), shaTag, sha: shortDigest(sha) });
      return fail('same-digest.missing', { tag: !sha ? shaTag : 'main', commit: p.newRev.slice(0, 7) });
    },

    'revision-label'(_ctx, p) {
      if (p.early !== undefined) return fail(SKIPPED);
      const { main, sha } = p.state;
      const shaTag = `sha-${p.newRev.slice(0, 7)}`;
      const rev = sha ? p.shaRev : p.mainRev;
      const which = sha ? `${IMAGE}:${shaTag}` : `${IMAGE}:main`;
      if (!sha && !main) return fail('revision-label.none', { image: IMAGE, shaTag });
      if (rev === p.newRev) return pass('revision-label.ok', { label: LABEL, image: which, commit: p.newRev });
      if (!rev) return fail('revision-label.missing', { image: which, label: LABEL });
      return fail('revision-label.other', { label: LABEL, image: which, value: String(rev).slice(0, 60), commit: p.newRev });
    },
  },
});

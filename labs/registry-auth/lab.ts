import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, msg, once, pass, recordImageId, refsList, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

const PORT = 5001;
const USER = 'student';
const REPO = 'team/api';
const TAG = '1.0';
const REF = `localhost:${PORT}/${REPO}:${TAG}`;

/** An htpasswd line registry:2 accepts: bcrypt, cost 10, in the `$2y$` form htpasswd -B writes. */
export function htpasswdLine(user: string, password: string): string {
  const hash = bcrypt.hashSync(password, 10).replace(/^\$2[abxy]\$/, '$2y$');
  return `${user}:${hash}`;
}

export default defineLab({
  async reset(ctx) {
    // A new password and an empty registry on every start (= reset).
    const password = randomBytes(18).toString('base64url');
    await ctx.sandbox.startRegistry({ port: PORT, htpasswd: htpasswdLine(USER, password) });
    ctx.state.set('password', password);
    await ctx.sandbox.copyIn(ctx.sandbox.home, [{ path: 'registry-password.txt', content: `${password}\n`, mode: 0o600 }]);
    // Leftovers of a push to the wrong registry would make the hint below stale.
    await sessionRegistry(ctx).deleteRepository(REPO);
  },

  async record(ctx) {
    await recordImageId(ctx, 'configDigest', 'shop/api:dev');
  },

  prepare(ctx: LabContext) {
    const password = requireState<string>(ctx, 'password');
    const registry = sessionRegistry(ctx, PORT, { username: USER, password });
    const tags = once(() => registry.listTags(REPO));
    const config = once(() => registry.getConfig(REPO, TAG));

    /** Whether the learner's docker CLI holds credentials for localhost:5001 (only to word the message). */
    const loggedIn = async (): Promise<boolean> => {
      const raw = await ctx.sandbox.readFile(`${ctx.sandbox.home}/.docker/config.json`, 256 * 1024).catch(() => null);
      if (!raw) return false;
      try {
        const auths = JSON.parse(raw.toString('utf8'))?.auths ?? {};
        return Object.keys(auths).some((k) => k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === `localhost:${PORT}`);
      } catch {
        return false;
      }
    };

    return { registry, loggedIn, tags, config };
  },

  criteria: {
    async pushed(ctx, { registry, loggedIn, tags }) {
      const have = await tags();
      if (have.includes(TAG)) return pass('pushed.ok', { ref: REF });
      if (have.length) return fail('pushed.other-tag', { repo: REPO, port: String(PORT), refs: refsList(REPO, have.sort()), tag: TAG, ref: REF });
      const open = await sessionRegistry(ctx).listTags(REPO);
      if (open.length) {
        return fail('pushed.open-registry', { refs: refsList(REPO, open.sort(), 2), port: String(PORT) });
      }
      if (!(await loggedIn())) {
        // Named for the registry already (docker tag done) means a push was refused for lack of a login.
        const tagged = (await ctx.sandbox.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', REF], { timeoutMs: 10_000 })).exitCode === 0;
        if (tagged) {
          return fail('pushed.tagged-no-login', { ref: REF, port: String(PORT), user: USER });
        }
        return fail('pushed.no-login', { port: String(PORT), repo: REPO, tag: TAG, user: USER, ref: REF });
      }
      const repos = (await registry.catalog()).filter((r) => r !== REPO);
      const elsewhere = repos.length ? msg('pushed.elsewhere', { repos: repos.slice(0, 5) }) : '';
      return fail('pushed.logged-in', { port: String(PORT), repo: REPO, tag: TAG, elsewhere, ref: REF });
    },

    async 'same-image'(ctx, { config }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const got = await config();
      if (!got) return fail('same-image.none', { port: String(PORT), repo: REPO, tag: TAG });
      if (got.digest === expected) return pass('same-image.ok', { repo: REPO, tag: TAG, id: shortDigest(expected) });
      return fail('same-image.other', { repo: REPO, tag: TAG, got: shortDigest(got.digest), id: shortDigest(expected) });
    },
  },
});

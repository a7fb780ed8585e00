import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { LabContext } from '../../checks/context.ts';
import { defineLab } from '../../checks/define-lab.ts';
import { fail, once, pass, recordImageId, refsList, requireState, sessionRegistry, shortDigest } from '../../checks/lab-helpers.ts';

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
      if (have.includes(TAG)) return pass(`Образ ${REF} есть в реестре с паролем.`);
      if (have.length) return fail(`В репозитории ${REPO} реестра localhost:${PORT} есть ${refsList(REPO, have.sort())}, но нет тега ${TAG}. Отправьте образ именно как ${REF}.`);
      const open = await sessionRegistry(ctx).listTags(REPO);
      if (open.length) {
        return fail(
          `Образ ${refsList(REPO, open.sort(), 2)} оказался в реестре localhost:5000 — он без пароля. Нужен реестр на порту ${PORT}: ` +
            `адрес реестра — начало имени образа, поэтому имя должно начинаться с localhost:${PORT}/.`,
        );
      }
      if (!(await loggedIn())) {
        // Named for the registry already (docker tag done) means a push was refused for lack of a login.
        const tagged = (await ctx.sandbox.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', REF], { timeoutMs: 10_000 })).exitCode === 0;
        if (tagged) {
          return fail(
            `Образ уже называется ${REF}, но в реестре localhost:${PORT} его нет: без docker login реестр отклоняет push («no basic auth credentials»). ` +
              `Войдите как ${USER} с паролем из ~/registry-password.txt (передайте его через stdin) и повторите docker push ${REF}.`,
          );
        }
        return fail(
          `В реестре localhost:${PORT} пока нет ${REPO}:${TAG}, и вход в него ещё не выполнен: без docker login push закончится ошибкой «no basic auth credentials». ` +
            `Войдите как ${USER} с паролем из ~/registry-password.txt (передайте его через stdin), затем отправьте образ как ${REF}.`,
        );
      }
      const repos = (await registry.catalog()).filter((r) => r !== REPO);
      const elsewhere = repos.length ? ` Сейчас в реестре есть: ${repos.slice(0, 5).join(', ')}.` : '';
      return fail(`Вход в localhost:${PORT} выполнен, но образа ${REPO}:${TAG} в реестре нет.${elsewhere} Дайте образу shop/api:dev имя ${REF} (docker tag) и отправьте его (docker push).`);
    },

    async 'same-image'(ctx, { config }) {
      const expected = requireState<string>(ctx, 'configDigest');
      const got = await config();
      if (!got) return fail(`Сравнивать пока не с чем: в реестре localhost:${PORT} нет ${REPO}:${TAG} (см. пункт выше).`);
      if (got.digest === expected) return pass(`Под ${REPO}:${TAG} лежит shop/api:dev: ID ${shortDigest(expected)} совпадает.`);
      return fail(
        `Под ${REPO}:${TAG} в реестре лежит другой образ: ID ${shortDigest(got.digest)}, а у shop/api:dev — ${shortDigest(expected)}. ` +
          `Дайте новое имя именно образу shop/api:dev (сравните IMAGE ID в docker images) и повторите push.`,
      );
    },
  },
});

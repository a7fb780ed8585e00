import { defineLab, type CriterionOutcome, type LabContext } from '../../checks/context.ts';
import { RegistryClient } from '../../checks/registry-client.ts';
import { deleteCosignArtifacts, findCosignSignature, privateKeyProblem, publicKeyProblem } from '../../checks/cosign.ts';

const REPO = 'shop/api';
const TAG = '1.4.2';
const IMAGE = `localhost:5000/${REPO}`;

function sigTagOf(digest: string): string {
  return digest.replace(':', '-').slice(0, 19) + '….sig';
}

function short(digest: string): string {
  return digest.slice(0, 19) + '…';
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}

export default defineLab({
  async afterSetup(ctx: LabContext) {
    // setup.sh has (re)pushed 1.4.2; drop every signature of it and of the digest it had
    // at the previous start, so starting again is a fresh lab.
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const digest = await client.headManifest(REPO, TAG);
    if (!digest) throw new Error(`signing: setup.sh did not push ${IMAGE}:${TAG}`);
    const previous = ctx.state.get<string[]>('digests') ?? [];
    for (const d of new Set([...previous, digest])) await deleteCosignArtifacts(client, REPO, d);
    ctx.state.clear();
    ctx.state.set('originalDigest', digest);
    ctx.state.set('digests', [digest]);
  },

  async check(ctx: LabContext) {
    const client = new RegistryClient(ctx.sandbox.registryUrl());
    const out: Record<string, CriterionOutcome> = {};
    const home = ctx.sandbox.home;
    const [pubBuf, keyBuf, digest] = await Promise.all([
      ctx.sandbox.readFile(`${home}/keys/cosign.pub`, 64 * 1024),
      ctx.sandbox.readFile(`${home}/keys/cosign.key`, 64 * 1024),
      client.headManifest(REPO, TAG),
    ]);
    const pub = pubBuf?.toString('utf8') ?? null;
    const key = keyBuf?.toString('utf8') ?? null;
    // Remember every digest the tag named, so a restart can remove their signatures too.
    if (digest) {
      const seen = ctx.state.get<string[]>('digests') ?? [];
      if (!seen.includes(digest)) ctx.state.set('digests', [...seen, digest]);
    }

    // One grader run does both cosign jobs: the empty-password probe and the verification.
    const probeKey = !!key && !privateKeyProblem(key);
    const verify = !!pub && !!digest && !publicKeyProblem(pub);
    const grading =
      probeKey || verify
        ? ctx.sandbox.graderExec(
            [
              // both cosign runs at once: the probe in the background
              probeKey ? '(COSIGN_PASSWORD= cosign public-key --key cosign.key </dev/null >/dev/null 2>&1 && echo yes || echo no) >empty.out &' : '',
              verify
                ? `cosign verify --key cosign.pub --allow-insecure-registry --insecure-ignore-tlog --output json '${IMAGE}@${digest}' </dev/null >verify.out 2>verify.err; echo VERIFY_EXIT=$?; tail -n 3 verify.err`
                : '',
              probeKey ? 'wait; echo EMPTY_PASSWORD=$(cat empty.out)' : '',
            ]
              .filter(Boolean)
              .join('\n'),
            {
              files: [...(probeKey ? [{ path: 'cosign.key', content: key!, mode: 0o600 }] : []), ...(verify ? [{ path: 'cosign.pub', content: pub! }] : [])],
              timeoutMs: 15_000,
            },
          )
        : Promise.resolve(null);
    const graded = grading.then((r) => ({
      emptyPassword: r ? /^EMPTY_PASSWORD=yes$/m.test(r.stdout) : false,
      verifyExit: r ? Number(/^VERIFY_EXIT=(\d+)$/m.exec(r.stdout)?.[1] ?? -1) : -1,
      verifyErr: r ? r.stdout.replace(/^(EMPTY_PASSWORD|VERIFY_EXIT)=.*$/gm, '') + r.stderr : '',
    }));

    // key-pair
    if (!pub || !key) {
      const missing = [!key && '~/keys/cosign.key', !pub && '~/keys/cosign.pub'].filter(Boolean).join(' и ');
      out['key-pair'] = { passed: false, message: `${!pub && !key ? 'Не найдены' : 'Не найден'} ${missing}. Создайте пару ключей в каталоге ~/keys: cd ~/keys && cosign generate-key-pair (пароль спросит cosign или возьмёт из COSIGN_PASSWORD).` };
    } else {
      const pubProblem = publicKeyProblem(pub);
      const keyProblem = privateKeyProblem(key);
      if (pubProblem || keyProblem) {
        const parts = [pubProblem && `cosign.pub: ${pubProblem}`, keyProblem && `cosign.key: ${keyProblem}`].filter(Boolean).join('; ');
        out['key-pair'] = { passed: false, message: `Файлы в ~/keys не похожи на пару ключей cosign (${parts}). Создайте их заново командой cosign generate-key-pair.` };
      } else {
        if ((await graded).emptyPassword) {
          out['key-pair'] = {
            passed: false,
            message: 'Закрытый ключ ~/keys/cosign.key открывается пустым паролем — любой, кто получит файл, сможет подписывать от вашего имени. Создайте пару заново с непустым паролем (COSIGN_PASSWORD) и подпишите образ новым ключом.',
          };
        } else {
          out['key-pair'] = { passed: true, message: 'В ~/keys есть открытый ключ cosign.pub и зашифрованный паролем закрытый ключ cosign.key.' };
        }
      }
    }

    // signed
    if (!digest) {
      out.signed = { passed: false, message: `В реестре больше нет тега ${IMAGE}:${TAG}. Перезапустите лабораторную, чтобы вернуть образ.` };
      out.verifies = { passed: false, message: `Нечего проверять: тега ${IMAGE}:${TAG} нет в реестре. Перезапустите лабораторную.` };
      return out;
    }
    const original = ctx.state.get<string>('originalDigest');
    const sig = await findCosignSignature(client, REPO, digest);
    if (sig) {
      out.signed = { passed: true, message: `Для ${IMAGE}@${short(digest)} в реестре есть подпись cosign (тег ${sig.tag.endsWith('.sig') ? sigTagOf(digest) : sig.tag.slice(0, 19) + '…'}, подписей: ${sig.signatures}).` };
    } else {
      const originalSigned = original && original !== digest ? await findCosignSignature(client, REPO, original) : null;
      out.signed = originalSigned
        ? {
            passed: false,
            message: `Подписан исходный образ ${short(original!)}, но тег ${TAG} теперь указывает на другой дайджест ${short(digest)}, у которого подписи нет. Тег перезаписали после подписи: подпишите дайджест, на который он указывает сейчас (или перезапустите лабораторную).`,
          }
        : {
            passed: false,
            message: `Для ${IMAGE}@${short(digest)} в реестре нет подписи (тега ${sigTagOf(digest)} нет). Подпишите образ по дайджесту: cosign sign --key ~/keys/cosign.key --allow-insecure-registry --tlog-upload=false ${IMAGE}@sha256:…`,
          };
    }

    // verifies
    const v = await graded;
    if (!pub || publicKeyProblem(pub)) {
      out.verifies = { passed: false, message: 'Проверять нечем: в ~/keys нет корректного открытого ключа cosign.pub. Сначала создайте пару ключей.' };
    } else if (v.verifyExit === 0) {
      out.verifies = { passed: true, message: `cosign verify с ключом ~/keys/cosign.pub подтверждает подпись ${IMAGE}@${short(digest)}.` };
    } else if (!sig) {
      out.verifies = { passed: false, message: `Подпись не проверяется: у ${IMAGE}@${short(digest)} её нет. Подпишите образ ключом ~/keys/cosign.key и проверьте: cosign verify --key ~/keys/cosign.pub --allow-insecure-registry --insecure-ignore-tlog ${IMAGE}@sha256:…` };
    } else {
      const why = lastLine(v.verifyErr);
      out.verifies = {
        passed: false,
        message: `Подпись в реестре есть, но ключ ~/keys/cosign.pub её не подтверждает${why ? ` (cosign: ${why})` : ''}. Похоже, образ подписан другим ключом: подпишите его закрытым ключом из той же пары, ~/keys/cosign.key.`,
      };
    }
    return out;
  },
});

/**
 * Plausible ways to break each lab's check: a criterion that always passes, a comparison
 * turned off, a name changed. `find` must occur exactly once in the lab's lab.ts.
 * `caughtBy` names the lab test expected to catch it (a --test-name-pattern), so a run can
 * be narrowed to it; `npm run test:mutants -- --full` runs the lab's whole test file instead.
 */
export interface Mutant {
  lab: string;
  name: string;
  find: string;
  replace: string;
  caughtBy: string;
}

const m = (lab: string, name: string, find: string, replace: string, caughtBy: string): Mutant => ({ lab, name, find, replace, caughtBy });

export const MUTANTS: Mutant[] = [
  m('tagging', 'no-latest always passes', "if (have.includes('latest')) {", "if (false && have.includes('latest')) {", 'wrong/with-latest'),
  m('tagging', 'digest comparison off', 'if (distinct.size === 1) return pass(', 'if (distinct.size >= 1) return pass(', 'wrong/rebuilt'),
  m('tagging', 'semver tag name changed', "const SEMVER = ['1.4.2', '1.4', '1'];", "const SEMVER = ['1.4.2', '1.4', '1.0'];", 'solve.sh'),
  m('push-private', 'image id comparison off', 'if (got.digest === expected) {', 'if (got) {', 'wrong/other-image'),
  m('push-private', 'tag name changed', "const TAG = 'v1';", "const TAG = 'latest';", 'solve.sh'),
  m('push-private', 'pushed always passes', 'if (have.includes(TAG)) return pass(', 'if (true) return pass(', 'wrong/latest-tag'),
  m('registry-auth', 'image id comparison off', 'if (got.digest === expected) return pass(', 'if (got) return pass(', 'wrong/other-image'),
  m('registry-auth', 'port changed to the open registry', 'const PORT = 5001;', 'const PORT = 5000;', 'wrong/push-5000'),
  m('registry-auth', 'pushed passes on any tag list', 'if (have.includes(TAG)) return pass(', 'if (have.length >= 0) return pass(', 'wrong/push-5000'),
  m('save-load', 'image name in the archive ignored', 'if (img?.tags.includes(IMAGE)) {', 'if (img) {', 'wrong/by-id'),
  m('save-load', 'config digest comparison off', 'const img = r.archive.images.find((i) => i.configDigest === expected);', 'const img = r.archive.images[0];', 'wrong/other-image'),
  m('save-load', 'file name changed', "const FILE = 'transfer/shop-api.tar';", "const FILE = 'transfer/shop_api.tar';", 'solve.sh'),
  m('layer-history', 'any answer accepted', 'if (sameHistoryCommand(text, expected.createdBy)) {', 'if (text.length > 0) {', 'wrong/other-instruction'),
  m('layer-history', 'several lines not diagnosed', 'if (lines.length > 1) {', 'if (lines.length > 99) {', 'wrong/whole-history'),
  m('layer-history', 'record picks the smallest layer', 'const fat = [...layers].sort((a, b) => b.size - a.size)[0];', 'const fat = [...layers].sort((a, b) => a.size - b.size)[0];', 'fresh start'),
  m('digest-pull', 'run by digest not required', 'if (!configImage.includes(`@${rec.original}`)) {', 'if (false) {', 'wrong/run-by-tag'),
  m('digest-pull', 'repushed digest accepted as original', 'if (pinned === rec.original) return pass(', 'if (pinned === rec.original || pinned === rec.repushed) return pass(', 'wrong/pinned-repushed'),
  m('digest-pull', 'pinned-ref always passes', 'return { passed: ref.pinned !== null, message: ref.message };', 'return { passed: true, message: ref.message };', 'wrong/tag-in-file'),
  m('multistage', 'size limit off', 'if (size <= MAX_BYTES) return pass(', 'if (size >= 0) return pass(', 'wrong/final-stage-golang'),
  m('multistage', 'Go sources not detected', "} else if (!isDir && base.endsWith('.go') && base.length > 3) {", '} else if (false) {', 'wrong/sources-copied'),
  m('multistage', 'tag name changed', "const TAG = 'slim';", "const TAG = 'small';", 'solve.sh'),
  m('multistage', 'optional non-root always passes', 'if (!isRootUser(user)) return pass(', 'if (true) return pass(', 'wrong/final-stage-golang'),
  m('signing', 'cosign verify result ignored', 'if (v.verifyExit === 0) return pass(', 'if (v.verifyExit !== -1) return pass(', 'wrong/signed-with-other-key'),
  m('signing', 'empty-password probe off', 'if ((await graded()).emptyPassword) {', 'if (false) {', 'wrong/key-without-password'),
  m('signing', 'signature looked up on the original digest', 'signature: once(async () => (digest ? findCosignSignature(client, REPO, digest) : null)),', "signature: once(async () => (digest ? findCosignSignature(client, REPO, ctx.state.get<string>('originalDigest') ?? digest) : null)),", 'wrong/tag-repushed-after-signing'),
  m('automated-build', 'digest comparison off', 'if (sha && main && sha === main) return pass(', 'if (sha && main) return pass(', 'wrong/two-builds'),
  m('automated-build', 'revision label only needs to exist', 'if (rev === p.newRev) return pass(', 'if (rev) return pass(', 'wrong/builds-old-clone'),
  m('automated-build', 'commit tag length changed', 'const shaTag = `sha-${newRev.slice(0, 7)}`;', 'const shaTag = `sha-${newRev.slice(0, 8)}`;', 'solve.sh'),
];

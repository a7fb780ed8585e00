/**
 * The HTML the LTI routes answer with: refusals (a clear page in the learner's language, ru or
 * en, never a JSON error in an LMS iframe), the page that hands a launch to the site, the
 * deep-linking picker and the auto-submitting form back to the platform. Everything from a
 * token or a request is escaped; data for scripts goes in as JSON with `<` escaped.
 */
export type Lang = 'ru' | 'en';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside <script>. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028|\u2029/g, ' ');

export type RefusalCode =
  | 'unknown_platform'
  | 'unknown_deployment'
  | 'bad_signature'
  | 'expired'
  | 'replayed'
  | 'missing_claim'
  | 'wrong_claim'
  | 'platform_down'
  | 'bad_request'
  | 'unknown_lab'
  | 'course_full'
  | 'unavailable';

const REFUSALS: Record<RefusalCode, { status: number; ru: [string, string]; en: [string, string] }> = {
  unknown_platform: { status: 403, ru: ['Платформа не зарегистрирована', 'Эта LMS (или её client id) не зарегистрирована в Registry Lab. Администратор добавляет её командой npm run lti -- add.'], en: ['Unknown platform', 'This LMS (or its client id) is not registered with Registry Lab. An administrator adds it with npm run lti -- add.'] },
  unknown_deployment: { status: 403, ru: ['Развёртывание не зарегистрировано', 'Идентификатор развёртывания (deployment id) этого инструмента не известен Registry Lab. Попросите администратора добавить его.'], en: ['Unknown deployment', 'The deployment id of this tool is not known to Registry Lab. Ask the administrator to add it.'] },
  bad_signature: { status: 401, ru: ['Подпись не прошла проверку', 'Сообщение о входе не подписано ключом этой LMS. Откройте задание из курса ещё раз.'], en: ['Bad signature', 'The launch message is not signed with this LMS\u2019s key. Open the activity from the course again.'] },
  expired: { status: 401, ru: ['Срок входа истёк', 'Сообщение о входе устарело (или часы LMS и Registry Lab расходятся). Откройте задание из курса ещё раз.'], en: ['The launch has expired', 'The launch message is too old (or the LMS clock and ours disagree). Open the activity from the course again.'] },
  replayed: { status: 401, ru: ['Вход уже использован', 'Эта ссылка входа уже была использована или устарела. Откройте задание из курса ещё раз.'], en: ['Launch already used', 'This launch was already used or has expired. Open the activity from the course again.'] },
  missing_claim: { status: 400, ru: ['В сообщении о входе чего-то не хватает', 'LMS не передала обязательное поле: {detail}.'], en: ['Something is missing from the launch', 'The LMS did not send a required field: {detail}.'] },
  wrong_claim: { status: 400, ru: ['Сообщение о входе не подходит', 'Поле {detail} имеет значение, которое Registry Lab не принимает.'], en: ['The launch does not fit', 'The field {detail} has a value Registry Lab does not accept.'] },
  platform_down: { status: 502, ru: ['LMS не отвечает', 'Registry Lab не смог получить ключи LMS, чтобы проверить вход. Попробуйте через минуту.'], en: ['The LMS does not answer', 'Registry Lab could not fetch the LMS\u2019s keys to verify the launch. Try again in a minute.'] },
  bad_request: { status: 400, ru: ['Неверный запрос входа', 'Запрос не похож на вход LTI 1.3: {detail}.'], en: ['Not a launch', 'This request is not an LTI 1.3 launch: {detail}.'] },
  unknown_lab: { status: 404, ru: ['Нет такой лабораторной', 'Ссылка в курсе указывает на лабораторную, которой нет. Попросите преподавателя обновить задание.'], en: ['No such lab', 'The course link names a lab that does not exist. Ask the instructor to update the activity.'] },
  course_full: { status: 409, ru: ['Все места заняты', 'Для этого курса сейчас запущено столько песочниц, сколько в нём мест. Попробуйте через несколько минут.'], en: ['The course is full', 'This course has as many sandboxes running as it has seats. Try again in a few minutes.'] },
  unavailable: { status: 503, ru: ['Registry Lab занят', 'Сейчас нельзя создать песочницу: {detail}. Попробуйте через минуту.'], en: ['Registry Lab is busy', 'A sandbox cannot be made right now: {detail}. Try again in a minute.'] },
};

export class Refusal extends Error {
  readonly code: RefusalCode;
  readonly detail: string;
  constructor(code: RefusalCode, detail = '') {
    super(`${code}${detail ? `: ${detail}` : ''}`);
    this.code = code;
    this.detail = detail;
  }
  get status(): number {
    return REFUSALS[this.code].status;
  }
}

function page(lang: Lang, title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — Registry Lab</title>
<style>body{font-family:system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em;line-height:1.5}h1{font-size:1.4em}code{background:#eee;padding:0 .2em}label{display:block;margin:.3em 0}button{font-size:1em;padding:.4em 1em}</style>
</head><body>
${body}
${script ? `<script>${script}</script>` : ''}
</body></html>
`;
}

export function refusalPage(lang: Lang, r: Refusal): string {
  const [title, text] = REFUSALS[r.code][lang];
  const detail = r.detail.slice(0, 200);
  return page(lang, title, `<h1>${esc(title)}</h1>\n<p data-refusal="${r.code}">${esc(text.replace('{detail}', detail || '—'))}</p>`);
}

/**
 * Hands a session to the site (localStorage, where the site keeps it) and opens the page. Where
 * the browser refuses storage in the LMS iframe (third-party storage blocked), a learner's
 * session goes along in the fragment (`#rl-session=`, never sent to a server; the site takes it
 * out of the address: site/src/lib/session.ts); a page that needs storage of its own (the
 * instructor dashboard keeps its key there) is offered in a new window instead.
 */
export function launchPage(lang: Lang, stored: { key: string; value: unknown } | null, target: string, linkText: string): string {
  const go = lang === 'en' ? 'Opening…' : 'Открываем…';
  const blocked = lang === 'en' ? 'This browser keeps no data for Registry Lab inside the course page. Open it in a new window:' : 'Этот браузер не хранит данные Registry Lab внутри страницы курса. Откройте его в новом окне:';
  const script = `(function(){var s=${scriptJson(stored)},t=${scriptJson(target)},ok=false;try{var k="rl-probe";localStorage.setItem(k,"1");localStorage.removeItem(k);ok=true;if(s)localStorage.setItem(s.key,JSON.stringify(s.value))}catch(e){}
if(ok)return location.replace(t);if(s)return location.replace(t+"#rl-session="+encodeURIComponent(JSON.stringify(s.value)));document.getElementById("go").hidden=true;document.getElementById("blocked").hidden=false})();`;
  return page(
    lang,
    go,
    `<p id="go">${esc(go)} <a href="${esc(target)}" target="_blank" rel="noopener">${esc(linkText)}</a></p>
<p id="blocked" hidden>${esc(blocked)} <a href="${esc(target)}" target="_blank" rel="noopener">${esc(linkText)}</a></p>`,
    script,
  );
}

export function pickerPage(lang: Lang, ticket: string, labs: { id: string; title: string; max: number }[], multiple: boolean): string {
  const t = lang === 'en'
    ? { h: 'Add Registry Lab activities', p: 'Choose the labs to add to the course. Each becomes one activity with its own grade column.', b: 'Add' }
    : { h: 'Добавить задания Registry Lab', p: 'Выберите лабораторные для курса. Каждая станет отдельным заданием со своей колонкой оценок.', b: 'Добавить' };
  const type = multiple ? 'checkbox' : 'radio';
  const rows = labs.map((l) => `<label><input type="${type}" name="lab" value="${esc(l.id)}"> ${esc(l.title)} <small>(${l.max})</small></label>`).join('\n');
  return page(lang, t.h, `<h1>${esc(t.h)}</h1><p>${esc(t.p)}</p>
<form method="post" action="/lti/deep-linking"><input type="hidden" name="ticket" value="${esc(ticket)}">
${rows}
<p><button type="submit">${esc(t.b)}</button></p></form>`);
}

/** Posts the signed deep-linking response back to the platform (form_post, as the spec asks). */
export function autoPostPage(lang: Lang, action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  const b = lang === 'en' ? 'Continue' : 'Продолжить';
  return page(lang, b, `<form id="f" method="post" action="${esc(action)}">${inputs}<noscript><button type="submit">${esc(b)}</button></noscript></form>`, 'document.getElementById("f").submit();');
}

/** /join/: validation, friendly errors, resume of a live workshop session, landing on the chapter. */
import { ApiError, describeError } from './session.ts';
import { fmt } from './fmt.ts';
import { formatCode, isPlausibleCode } from './workshop-code.ts';
import { joinWorkshop, liveWorkshopSession } from './workshop-join.ts';

/** Where a learner lands after joining: the chapter's first page (the English page sets data-landing="/en/"). */
export const LANDING = '/';

export function joinErrorMessage(e: unknown, ui: Record<string, string>): string {
  if (e instanceof ApiError && e.status === 429) return ui['join.limit'] ?? e.message;
  if (e instanceof ApiError && e.code === 'workshop_full') return ui['err.workshop_full'] ?? e.message;
  if (e instanceof ApiError && (e.code === 'unknown_workshop' || e.code === 'workshop_ended')) return ui['err.unknown_workshop'] ?? e.message;
  return describeError(e, ui);
}

export function mountJoin(root: HTMLElement, ui: Record<string, string>) {
  const form = root.querySelector<HTMLFormElement>('.rl-join-form')!;
  const code = root.querySelector<HTMLInputElement>('#rl-join-code')!;
  const name = root.querySelector<HTMLInputElement>('#rl-join-name')!;
  const error = root.querySelector<HTMLElement>('.rl-join-error')!;
  const status = root.querySelector<HTMLElement>('.rl-join-status')!;
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;

  const fromUrl = new URLSearchParams(location.search).get('code') ?? '';
  if (fromUrl) code.value = formatCode(fromUrl);
  code.addEventListener('blur', () => {
    if (code.value.trim()) code.value = formatCode(code.value);
  });

  const fail = (msg: string, field?: HTMLInputElement) => {
    error.textContent = msg;
    status.textContent = '';
    field?.setAttribute('aria-invalid', 'true');
    field?.focus();
  };

  // A join link for a workshop this browser is already in: back to the same session and row.
  if (fromUrl)
    void liveWorkshopSession(fromUrl)
        .then((s) => {
        if (!s) return;
        status.textContent = fmt(ui, 'join.back', { title: s.workshop?.title || formatCode(s.workshop?.code ?? '') });
        location.assign(root.dataset.landing ?? LANDING);
      })
      .catch(() => undefined);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    code.removeAttribute('aria-invalid');
    name.removeAttribute('aria-invalid');
    if (!isPlausibleCode(code.value)) return fail(ui['join.badCode'] ?? '', code);
    const n = name.value.trim();
    if (!n || n.length > 60) return fail(ui['join.badName'] ?? '', name);
    code.value = formatCode(code.value);
    submit.disabled = true;
    status.textContent = ui['join.joining'] ?? '';
    try {
      const existing = await liveWorkshopSession(code.value).catch(() => null);
      if (!existing) await joinWorkshop(code.value, n);
      location.assign(root.dataset.landing ?? LANDING);
    } catch (e) {
      const field = e instanceof ApiError && ['unknown_workshop', 'workshop_ended'].includes(e.code) ? code : undefined;
      fail(joinErrorMessage(e, ui), field);
      submit.disabled = false;
    }
  });
}

/**
 * /instructor/: operator token, workshop list, create form, and the "created" panel
 * (code for the projector, join link + QR, dashboard link, instructor key with copy buttons).
 */
import { ApiError, describeError } from './session.ts';
import { fmt } from './fmt.ts';
import { createWorkshop, listWorkshops, type CreatedWorkshop, type Workshop } from './workshop-api.ts';
import { formatCode, joinLink } from './workshop-code.ts';
import { coInstructorLink, dashboardLink, forgetRoomKeys, operatorToken, rememberRoomKey, setOperatorToken } from './workshop-keys.ts';
import { qrSvg } from './workshop-qr.ts';

export function mountInstructor(root: HTMLElement, ui: Record<string, string>) {
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;
  const status = q('.rl-ws-status');
  const say = (msg: string) => (status.textContent = msg);
  const tokenForm = q<HTMLFormElement>('.rl-ins-token');
  const work = q('.rl-ins-work');
  const signed = q('.rl-ins-signed');
  const timeFmt = new Intl.DateTimeFormat(document.documentElement.lang || 'ru', { dateStyle: 'short', timeStyle: 'short' });
  const when = (iso?: string | null) => (iso ? timeFmt.format(new Date(iso)) : '—');

  const showSignedIn = (yes: boolean) => {
    tokenForm.hidden = yes;
    signed.hidden = !yes;
    work.hidden = !yes;
  };

  async function refresh(): Promise<boolean> {
    const token = operatorToken();
    if (!token) return false;
    try {
      renderList(await listWorkshops(token));
      return true;
    } catch (e) {
      say(describeError(e, ui));
      // A token the runner no longer accepts (changed INSTRUCTOR_TOKEN): ask for it again.
      if (e instanceof ApiError && [401, 403].includes(e.status)) {
        setOperatorToken(null);
        showSignedIn(false);
      }
      return false;
    }
  }

  function renderList(list: Workshop[]) {
    const table = q<HTMLTableElement>('.rl-ins-table');
    const body = table.tBodies[0]!;
    body.replaceChildren();
    table.hidden = list.length === 0;
    q('.rl-ins-empty').hidden = list.length > 0;
    const sorted = [...list].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    for (const w of sorted) {
      const tr = document.createElement('tr');
      const cells = [
        w.title,
        formatCode(w.code),
        ui[`ins.state.${w.state ?? 'open'}`] ?? w.state ?? '',
        `${w.learners ?? 0} / ${w.seats}`,
        when(w.createdAt),
        when(w.endsAt),
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      const a = document.createElement('a');
      a.href = dashboardLink(langPrefix(), w.id);
      a.textContent = ui['ins.col.open'] ?? 'open';
      a.setAttribute('aria-label', fmt(ui, 'ins.open', { title: w.title }));
      td.append(a);
      tr.append(td);
      body.append(tr);
    }
  }

  tokenForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = q<HTMLInputElement>('#rl-ins-token');
    const token = input.value.trim();
    if (!token) return input.focus();
    setOperatorToken(token);
    if (await refresh()) {
      input.value = '';
      showSignedIn(true);
      say(ui['ins.token.saved'] ?? '');
      q<HTMLInputElement>('#rl-ins-title').focus();
    } else {
      setOperatorToken(null);
      input.focus();
    }
  });
  q('.rl-ins-forget').addEventListener('click', () => {
    setOperatorToken(null);
    forgetRoomKeys();
    showSignedIn(false);
    q('.rl-ins-made').hidden = true;
    say(ui['ins.token.forgotten'] ?? '');
    q<HTMLInputElement>('#rl-ins-token').focus();
  });
  q('.rl-ins-refresh').addEventListener('click', () => void refresh());

  const form = q<HTMLFormElement>('.rl-ins-create');
  const boxes = () => [...form.querySelectorAll<HTMLInputElement>('input[name="labs"]')];
  q('.rl-ins-all').addEventListener('click', () => boxes().forEach((b) => (b.checked = true)));
  q('.rl-ins-none').addEventListener('click', () => boxes().forEach((b) => (b.checked = false)));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const error = q('.rl-ins-create-error');
    error.textContent = '';
    const title = (form.elements.namedItem('title') as HTMLInputElement).value.trim();
    const labs = boxes().filter((b) => b.checked).map((b) => b.value);
    const seats = Number((form.elements.namedItem('seats') as HTMLInputElement).value);
    const reserve = Number((form.elements.namedItem('reserve') as HTMLInputElement).value || 0);
    const ends = (form.elements.namedItem('endsAt') as HTMLInputElement).value;
    if (!title || title.length > 120) {
      error.textContent = ui['ins.f.badTitle'] ?? '';
      return (form.elements.namedItem('title') as HTMLInputElement).focus();
    }
    if (labs.length === 0) {
      error.textContent = ui['ins.f.noLabs'] ?? '';
      return boxes()[0]?.focus();
    }
    if (ends && !(new Date(ends).getTime() > Date.now())) {
      error.textContent = ui['ins.f.badEnds'] ?? '';
      return (form.elements.namedItem('endsAt') as HTMLInputElement).focus();
    }
    const all = labs.length === boxes().length;
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    submit.disabled = true;
    say(ui['ins.f.creating'] ?? '');
    try {
      const w = await createWorkshop(operatorToken() ?? '', {
        title,
        ...(all ? {} : { labs }),
        seats: Number.isFinite(seats) && seats > 0 ? Math.round(seats) : 30,
        ...(reserve > 0 ? { reserve: Math.round(reserve) } : {}),
        ...(ends ? { endsAt: new Date(ends).toISOString() } : {}),
      });
      rememberRoomKey(w.id, w.instructorKey);
      showCreated(w);
      say('');
      void refresh();
    } catch (e) {
      error.textContent = describeError(e, ui);
      say('');
    } finally {
      submit.disabled = false;
    }
  });

  function showCreated(w: CreatedWorkshop) {
    const box = q('.rl-ins-made');
    // Links for this page's edition: the English instructor page hands out /en/join/ and /en/instructor/… links.
    const origin = location.origin + langPrefix();
    const join = joinLink(origin, w.code);
    q('#rl-ins-made-h').textContent = fmt(ui, 'ins.made.title', { title: w.title });
    q('.rl-ins-code').textContent = formatCode(w.code);
    const link = q<HTMLAnchorElement>('.rl-ins-join-link');
    link.href = join;
    link.textContent = join;
    const qr = q('.rl-ins-qr');
    qr.innerHTML = qrSvg(join);
    qr.setAttribute('aria-label', fmt(ui, 'ins.made.qr', { url: join }));
    q<HTMLAnchorElement>('.rl-ins-dashboard').href = dashboardLink(origin, w.id);
    q('.rl-ins-key').textContent = w.instructorKey;
    q('.rl-ins-copied').textContent = '';
    const copy = (text: string) => async () => {
      try {
        await navigator.clipboard.writeText(text);
        q('.rl-ins-copied').textContent = ui['ins.copied'] ?? '';
      } catch {
        q('.rl-ins-copied').textContent = ui['ins.copyFailed'] ?? '';
      }
    };
    q('.rl-ins-copy-join').onclick = copy(join);
    q('.rl-ins-copy-key').onclick = copy(w.instructorKey);
    q('.rl-ins-copy-colink').onclick = copy(coInstructorLink(origin, w.id, w.instructorKey));
    box.hidden = false;
    box.focus();
  }

  const signedIn = !!operatorToken();
  showSignedIn(signedIn);
  if (signedIn) void refresh();
}

/** '/en' on the English edition's pages, '' on the Russian (root) ones. */
function langPrefix(): string {
  return document.documentElement.lang.toLowerCase().startsWith('en') ? '/en' : '';
}

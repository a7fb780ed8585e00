/**
 * /instructor/: the LMS platforms (LTI 1.3) registered with the runner, with the operator
 * token: the values to paste into the LMS (GET /lti/config), the list (GET /lti/registrations)
 * with removal, and a form that registers one (POST /lti/registrations). docs/lms.md says
 * where Moodle and Canvas show each value. Shown once the operator token is saved.
 */
import { operatorToken } from './workshop-keys.ts';

const TEXT = {
  ru: {
    title: 'LMS (LTI 1.3)',
    intro: 'Эти адреса вставляют в LMS при настройке внешнего инструмента; данные LMS — в форму ниже.',
    list: 'Зарегистрированные платформы',
    empty: 'Пока ни одной.',
    remove: 'Удалить',
    add: 'Зарегистрировать платформу',
    issuer: 'Issuer (Platform ID)',
    clientId: 'Client ID',
    deployments: 'Deployment ID (через запятую)',
    authUrl: 'OIDC auth URL',
    tokenUrl: 'Token URL',
    jwksUrl: 'JWKS URL (Public keyset)',
    submit: 'Зарегистрировать',
    added: 'Платформа зарегистрирована.',
    failed: 'Не получилось',
  },
  en: {
    title: 'LMS (LTI 1.3)',
    intro: 'Paste these URLs into the LMS when you set up the external tool; put the LMS values into the form below.',
    list: 'Registered platforms',
    empty: 'None yet.',
    remove: 'Remove',
    add: 'Register a platform',
    issuer: 'Issuer (Platform ID)',
    clientId: 'Client ID',
    deployments: 'Deployment IDs (comma-separated)',
    authUrl: 'OIDC auth URL',
    tokenUrl: 'Token URL',
    jwksUrl: 'JWKS URL (public keyset)',
    submit: 'Register',
    added: 'The platform is registered.',
    failed: 'That did not work',
  },
};

interface Registration {
  id: string;
  issuer: string;
  clientId: string;
  deployments: string[];
}

const FIELDS = ['issuer', 'clientId', 'deployments', 'authUrl', 'tokenUrl', 'jwksUrl'] as const;

export function mountLtiPlatforms(root: HTMLElement): void {
  const lang = /^en\b/i.test(document.documentElement.lang) ? 'en' : 'ru';
  const t = TEXT[lang];
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${operatorToken() ?? ''}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new Error(data?.error?.message ?? `HTTP ${res.status}`);
    return data;
  };
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };

  const render = async () => {
    if (!operatorToken()) {
      root.hidden = true;
      root.replaceChildren();
      return;
    }
    let config: Record<string, unknown>;
    let regs: Registration[];
    try {
      [config, regs] = await Promise.all([fetch('/lti/config').then((r) => r.json()), call('GET', '/lti/registrations')]);
    } catch {
      root.hidden = true;
      return;
    }
    root.hidden = false;
    root.style.display = 'block';
    const status = el('p', '', 'rl-lti-status');
    status.setAttribute('role', 'status');
    const urls = el('dl', undefined, 'rl-lti-config');
    for (const k of ['loginUrl', 'launchUrl', 'jwksUrl', 'deepLinkingUrl']) {
      urls.append(el('dt', k), el('dd', String(config[k] ?? '')));
    }
    const list = el('ul', undefined, 'rl-lti-list');
    for (const r of regs) {
      const li = el('li', `${r.issuer} · ${r.clientId} · ${r.deployments.join(', ')} `);
      const rm = el('button', t.remove, 'rl-btn rl-btn-secondary rl-btn-small');
      rm.type = 'button';
      rm.addEventListener('click', async () => {
        try {
          await call('DELETE', `/lti/registrations/${encodeURIComponent(r.id)}`);
          await render();
        } catch (e) {
          status.textContent = `${t.failed}: ${(e as Error).message}`;
        }
      });
      li.append(rm);
      list.append(li);
    }
    const form = el('form', undefined, 'rl-lti-add');
    form.noValidate = true;
    for (const f of FIELDS) {
      const id = `rl-lti-${f}`;
      const label = el('label', t[f]);
      label.htmlFor = id;
      const input = el('input');
      input.id = id;
      input.name = f;
      input.required = true;
      input.autocomplete = 'off';
      input.spellcheck = false;
      const row = el('div', undefined, 'rl-ws-field');
      row.append(label, input);
      form.append(row);
    }
    const submit = el('button', t.submit, 'rl-btn');
    submit.type = 'submit';
    form.append(submit);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
      try {
        await call('POST', '/lti/registrations', {
          issuer: v('issuer'),
          clientId: v('clientId'),
          deployments: v('deployments').split(',').map((d) => d.trim()).filter(Boolean),
          authUrl: v('authUrl'),
          tokenUrl: v('tokenUrl'),
          jwksUrl: v('jwksUrl'),
        });
        await render();
        root.querySelector('.rl-lti-status')!.textContent = t.added;
      } catch (e) {
        status.textContent = `${t.failed}: ${(e as Error).message}`;
      }
    });
    root.replaceChildren(el('h2', t.title), el('p', t.intro), urls, el('h3', t.list), regs.length ? list : el('p', t.empty), el('h3', t.add), form, status);
  };

  void render();
  // The operator token is saved or forgotten on this page (workshop-instructor.ts).
  document.addEventListener('submit', (ev) => {
    if ((ev.target as HTMLElement).classList?.contains('rl-ins-token')) setTimeout(() => void render(), 300);
  });
  document.addEventListener('click', (ev) => {
    if ((ev.target as HTMLElement).closest?.('.rl-ins-forget')) setTimeout(() => void render(), 100);
  });
}

/**
 * Help in the room in the browser (issue 23), real runner and sandboxes: an instructor's
 * dashboard and two learners. Anna raises a hand with a message; the queue shows it live (count
 * in the title, filter to hands up); the instructor asks to take over, Anna allows, the
 * instructor types `docker images` into her terminal and both pages show the output; Anna takes
 * control back; she checks the lab; the instructor replays her recording and sees the check
 * marker, replies and marks her helped. axe on the new parts of both pages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { uniqueRunnerId } from '../runner/helpers.ts';
import { formatViolations, gotoRobust, launchBrowser, runAxe, snapshotSite } from '../e2e/helpers.ts';

const TOKEN = `op-${Math.random().toString(36).slice(2)}-e2e-help-token`;
const LAB = 'tagging';
const rowsText = (page: Page, scope: string) => page.locator(`${scope} .xterm-rows`).first().innerText();
const screenHas = (page: Page, scope: string, text: string) =>
  page.waitForFunction(([s, t]) => (document.querySelector(`${s} .xterm-rows`) as HTMLElement | null)?.innerText.includes(t), [scope, text] as const, { timeout: 120_000 });

describe('help in the room in the browser: hand, queue, take-over, replay', { timeout: 900_000 }, () => {
  let runner: Runner;
  let browser: Browser;
  let site: ReturnType<typeof snapshotSite>;
  const contexts: BrowserContext[] = [];
  let workshopId = '';

  const newPage = async (): Promise<Page> => {
    const ctx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1366, height: 900 } });
    ctx.setDefaultTimeout(60_000);
    contexts.push(ctx);
    return ctx.newPage();
  };

  before(async () => {
    site = snapshotSite();
    assert.ok(existsSync(join(site.dir, 'instructor', 'workshop', 'index.html')), 'the site is not built (npm run build:site)');
    runner = await createRunner({ port: Number(process.env.RL_E2E_HELP_PORT ?? 4437), host: '127.0.0.1', runnerId: uniqueRunnerId('e2e-help'), warmPoolSize: 0, logLevel: 'silent', siteDir: site.dir, instructorToken: TOKEN });
    browser = await launchBrowser();
  });
  after(async () => {
    if (workshopId && runner) await fetch(`${runner.url}/api/workshops/${workshopId}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } }).catch(() => undefined);
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await runner?.close();
    site?.dispose();
  });

  test('raise a hand, live queue, consented take-over with docker images on both pages, take back, replay with check markers, reply, helped', async () => {
    const made = await fetch(`${runner.url}/api/workshops`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Помощь', labs: [LAB], seats: 3 }),
    }).then((r) => r.json() as Promise<{ id: string; code: string; instructorKey: string }>);
    workshopId = made.id;

    const ins = await newPage();
    await gotoRobust(ins, `${runner.url}/instructor/workshop/?id=${made.id}#key=${encodeURIComponent(made.instructorKey)}`);
    await ins.locator('.rl-dash-conn[data-state="live"]').waitFor();
    const baseTitle = await ins.title();

    const join = async (name: string) => {
      const p = await newPage();
      await gotoRobust(p, `${runner.url}/join/?code=${made.code}`);
      await p.locator('.rl-join-recorded').filter({ hasText: 'записываются' }).waitFor();
      await p.getByLabel('Ваше имя').fill(name);
      await p.getByRole('button', { name: 'Присоединиться' }).click();
      await p.waitForURL(`${runner.url}/`, { timeout: 120_000 });
      await gotoRobust(p, `${runner.url}/labs/${LAB}/`);
      await p.locator('rl-terminal .rl-term-open').first().click().catch(() => undefined);
      await p.locator('rl-terminal[data-state="ready"]').first().waitFor({ timeout: 300_000 });
      return p;
    };
    const [anna, boris] = await Promise.all([join('Анна'), join('Борис')]);
    const annaSession = await anna.evaluate(() => JSON.parse(localStorage.getItem('registry-lab:session:v1')!).id as string);
    await ins.waitForFunction(() => document.querySelectorAll('.rl-dash-grid tbody tr').length === 2);
    const panel = anna.locator('rl-lab');
    await panel.getByRole('button', { name: 'Начать' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"]').waitFor({ timeout: 300_000 });

    /* ---- Anna raises a hand with a message ---- */
    await anna.getByRole('button', { name: 'Нужна помощь' }).click();
    await anna.getByLabel('Что не получается?').fill('Не понимаю <b>теги</b>');
    const learnerViolations = await runAxe(anna);
    assert.equal(learnerViolations.length, 0, formatViolations('learner page with the help form', learnerViolations));
    await anna.getByRole('button', { name: 'Позвать преподавателя' }).click();
    await anna.locator('.rl-wsh-state').filter({ hasText: '1-й в очереди' }).waitFor();

    const item = ins.locator('.rl-dash-help-item').first();
    await item.waitFor();
    assert.match(await item.innerText(), /Анна/);
    assert.equal(await item.locator('.rl-dash-help-msg').innerText(), 'Не понимаю <b>теги</b>', 'the message is shown as text');
    assert.equal(await ins.title(), `(1) ✋ ${baseTitle}`);
    await ins.getByLabel('Только поднятые руки').check();
    await ins.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.rl-dash-grid tbody tr')].filter((tr) => !tr.hidden).length === 1);
    assert.equal(await ins.locator('.rl-dash-grid tbody tr:not([hidden]) .rl-dash-name').innerText(), 'Анна');
    await ins.getByLabel('Только поднятые руки').uncheck();
    const dashViolations = await runAxe(ins);
    assert.equal(dashViolations.length, 0, formatViolations('dashboard with the queue', dashViolations));

    /* ---- take-over: asked, allowed, the instructor types, both see it ---- */
    await item.getByRole('button', { name: 'Взять управление: Анна' }).click();
    const shadow = ins.locator('dialog.rl-dash-shadow');
    await shadow.locator('.rl-dash-takeover-status').filter({ hasText: 'Ждём разрешения' }).waitFor();
    await anna.locator('.rl-wsh-ask').waitFor({ state: 'visible' });
    const askViolations = await runAxe(anna);
    assert.equal(askViolations.length, 0, formatViolations('learner page with the take-over prompt', askViolations));
    await anna.getByRole('button', { name: 'Разрешить' }).click();
    await anna.locator('.rl-wsh-on').filter({ hasText: 'Преподаватель печатает в вашем терминале' }).waitFor({ state: 'visible' });
    await shadow.locator('.rl-dash-takeover-status').filter({ hasText: 'Вы печатаете' }).waitFor();
    // xterm.js renders only while the terminal is on screen.
    await anna.locator('rl-terminal').first().scrollIntoViewIfNeeded();
    await boris.locator('rl-terminal').first().scrollIntoViewIfNeeded();
    await shadow.locator('.rl-dash-shadow-screen .xterm').click();
    await ins.keyboard.type('docker images --format "img={{.Repository}}"; echo done-$((6*7))');
    await ins.keyboard.press('Enter');
    await screenHas(anna, 'rl-terminal', 'done-42');
    await screenHas(ins, '.rl-dash-shadow-screen', 'done-42');
    assert.match(await rowsText(anna, 'rl-terminal'), /docker images/, "the instructor's command is in Anna's terminal");
    assert.doesNotMatch(await rowsText(boris, 'rl-terminal'), /done-42/, "Boris's terminal is untouched");

    /* ---- Anna takes control back ---- */
    await anna.getByRole('button', { name: 'Вернуть управление' }).click();
    await shadow.locator('.rl-dash-takeover-status').filter({ hasText: 'Участник забрал управление' }).waitFor();
    await anna.locator('.rl-wsh-on').waitFor({ state: 'hidden' });
    await shadow.locator('.rl-dash-shadow-screen .xterm').click();
    await ins.keyboard.type('echo not-sent-$((1+1))');
    await ins.keyboard.press('Enter');
    await anna.waitForTimeout(500);
    assert.doesNotMatch(await rowsText(anna, 'rl-terminal'), /not-sent/, 'after the take-back nothing the instructor types arrives');
    await ins.keyboard.press('Escape');
    await shadow.waitFor({ state: 'hidden' });
    await anna.locator('.rl-wsb-watched').waitFor({ state: 'hidden' });

    /* ---- a check (fails: nothing done yet) becomes a marker; the instructor replays ---- */
    await panel.getByRole('button', { name: 'Проверить' }).click();
    await panel.locator('.rl-lab-status[data-kind="bad"]').waitFor({ timeout: 120_000 });
    await anna.waitForTimeout(500);
    await item.getByRole('button', { name: 'Запись: Анна' }).click();
    const replay = ins.locator('dialog.rl-dash-replay');
    await replay
      .locator('.rl-dash-replay-markers button')
      .filter({ hasText: `check ${LAB}: failed` })
      .waitFor({ timeout: 30_000 })
      .catch(async (e) => {
        throw new Error(`no check marker; the dialog says: ${await replay.locator('.rl-dash-replay-status').innerText()} (${(e as Error).message})`);
      });
    await replay.locator('.ap-player, .ap-wrapper').first().waitFor();
    await replay.getByLabel('Скорость').selectOption('4');
    await replay.locator('.rl-dash-replay-markers button').first().click();
    const replayViolations = await runAxe(ins);
    assert.equal(replayViolations.filter((v) => !/ap-|asciinema/.test(JSON.stringify(v.nodes ?? v))).length, 0, formatViolations('replay dialog', replayViolations));
    await ins.keyboard.press('Escape');

    /* ---- reply and helped ---- */
    await item.getByRole('button', { name: 'Ответить: Анна' }).click();
    await ins.getByLabel('Текст увидит только этот участник').fill('Посмотри docker tag');
    await ins.locator('dialog.rl-dash-reply').getByRole('button', { name: 'Отправить' }).click();
    await anna.locator('.rl-wsh-reply').filter({ hasText: 'Посмотри docker tag' }).waitFor();
    assert.equal(await boris.locator('.rl-wsh-reply').isVisible(), false);
    await item.getByRole('button', { name: 'Помог: Анна' }).click();
    await anna.locator('.rl-wsh-state').filter({ hasText: 'отметил, что помог' }).waitFor();
    await ins.locator('.rl-dash-help').waitFor({ state: 'hidden' });
    await ins.locator('.rl-dash-room-status').filter({ hasText: /Никто не просит помощи|Анна: вопрос закрыт/ }).waitFor();
    assert.equal(await ins.title(), baseTitle);

    /* ---- a broadcast that closes every question ---- */
    await boris.getByRole('button', { name: 'Нужна помощь' }).click();
    await boris.getByRole('button', { name: 'Позвать преподавателя' }).click();
    await ins.locator('.rl-dash-help-item').filter({ hasText: 'Борис' }).waitFor();
    await ins.getByLabel('Следующее сообщение всем закрывает все вопросы').check();
    await ins.getByLabel('Сообщение всем участникам').fill('Разбираем теги вместе');
    await ins.getByRole('button', { name: 'Отправить всем' }).click();
    await boris.locator('.rl-wsh-state').filter({ hasText: 'закрыл все вопросы' }).waitFor();
    await ins.locator('.rl-dash-help').waitFor({ state: 'hidden' });

    /* ---- the workshop log has the take-over; the recording has no token ---- */
    const log = (await fetch(`${runner.url}/api/workshops/${made.id}/log`, { headers: { authorization: `Bearer ${made.instructorKey}` } }).then((r) => r.json())) as any[];
    assert.deepEqual(log.map((e) => [e.session, e.reason]), [[annaSession, 'learner']]);
    assert.ok(log[0].durationMs > 0);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, RequestTimeoutError, RunnerUnavailableError, api, describeError, isTransient } from '../../site/src/lib/session.ts';
import { pickUi, ui } from '../../site/src/i18n/ui.ts';

const ru = pickUi('ru', ['term.', 'err.']);

test('runner error codes become sentences in the learner language; the runner keeps raw details in its log', () => {
  const msg = describeError(new ApiError(500, 'lab_start_failed', "The lab \"tagging\" could not be prepared in your sandbox; the details are in the runner's log."), ru);
  assert.match(msg, /^Не удалось подготовить лабораторную\. Нажмите «Начать»/);
  assert.match(describeError(new ApiError(409, 'sandbox_unavailable', 'down'), ru), /песочница перестала отвечать/);
  assert.match(describeError(new ApiError(409, 'max_lifetime_reached', 'cannot extend'), ru), /нельзя продлить/);
});

test('capacity and per-client limits, no runner, and unknown codes still read well', () => {
  assert.equal(describeError(new ApiError(503, 'capacity_full', 'full'), ru), ru['term.busy']);
  assert.equal(describeError(new ApiError(429, 'too_many_sessions', 'limit'), ru), ru['term.limit']);
  assert.equal(describeError(new RunnerUnavailableError(), ru), ru['term.unavailable']);
  assert.equal(describeError(new ApiError(400, 'something_new', 'odd'), ru), 'Ошибка: odd');
});

test('every UI string exists in Russian and English', () => {
  assert.deepEqual(Object.keys(ui.en).sort(), Object.keys(ui.ru).sort());
});

test('the dashboard tries again by itself only when the runner is away, busy or failing', () => {
  assert.equal(isTransient(new RunnerUnavailableError('Failed to fetch')), true);
  assert.equal(isTransient(new ApiError(503, 'capacity_full', 'full')), true);
  assert.equal(isTransient(new ApiError(502, 'error', 'HTTP 502')), true);
  assert.equal(isTransient(new ApiError(429, 'rate_limited', 'slow down')), true);
  assert.equal(isTransient(new RequestTimeoutError()), true);
  assert.equal(isTransient(new ApiError(401, 'unauthorized', 'key')), false);
  assert.equal(isTransient(new ApiError(404, 'unknown_workshop_id', 'no')), false);
  assert.equal(isTransient(new Error('other')), false);
});

test('a call that outlives its own bound says the runner did not answer in time, not that there is no runner', async () => {
  const silent = createServer(() => {
    /* never answers */
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    const err = await api(`${base}/api/labs`, { timeoutMs: 150 }).catch((e: unknown) => e);
    assert.ok(err instanceof RequestTimeoutError, String(err));
    assert.equal(describeError(err, ru), ru['term.timeout']);
  } finally {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  }
  // Nobody listening: that is a runner unavailable.
  const gone = await api(`${base}/api/labs`, { timeoutMs: 1_000 }).catch((e: unknown) => e);
  assert.ok(gone instanceof RunnerUnavailableError, String(gone));
});

/** The arithmetic of bench:classroom's report (bench/classroom-report.ts): reserve modes, the cold-start bound, the last shell, queue estimates. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { coldStartBound, lastShellFromFirstJoin, queueReport, reserveFor, reserveMode } from '../../bench/classroom-report.ts';

it('reserve modes: a number or full (one per seat), nothing else', () => {
  assert.equal(reserveMode('0'), 0);
  assert.equal(reserveMode(' 12 '), 12);
  assert.equal(reserveMode('full'), 'full');
  for (const bad of ['', '-1', '2.5', '101', 'half']) assert.throws(() => reserveMode(bad), /reserve/);
  assert.equal(reserveFor('full', 30), 30);
  assert.equal(reserveFor(40, 30), 30);
  assert.equal(reserveFor(0, 30), 0);
});

it('the bound: N x one cold start / slots, plus 20 %', () => {
  // Issue 19: 30 learners, a 5 s cold start, 2 at once -> 75 s, x 1.2 = 90 s.
  assert.equal(coldStartBound(30, 5000, 2, 1.2), 90_000);
  assert.equal(coldStartBound(3, 4000, 0, 1), 12_000);
});

it('the last shell is counted from the first join, and only when everyone got one', () => {
  const results = [
    { joinedAt: 1000, joinToReadyMs: 5000 },
    { joinedAt: 4000, joinToReadyMs: 9000.4 },
    { joinedAt: 2000, joinToReadyMs: 1000 },
  ];
  assert.equal(lastShellFromFirstJoin(results, 3), 12_000);
  assert.equal(lastShellFromFirstJoin([...results.slice(0, 2), { joinedAt: 2000 }], 3), null);
  assert.equal(lastShellFromFirstJoin([], 0), null);
});

it('queue report: first place and estimate shown against the wait that followed; a rising estimate is counted', () => {
  const r = queueReport([
    { name: 'a', joinToReadyMs: 3000, queueShown: [] },
    {
      name: 'b',
      joinToReadyMs: 12_500,
      queueShown: [
        { atMs: 500, position: 2, estimateMs: 10_000 },
        { atMs: 1500, position: 2, estimateMs: 9000 },
        { atMs: 2500, position: 1, estimateMs: 14_000 },
      ],
    },
    { name: 'c', joinToReadyMs: 6000, queueShown: [{ atMs: 1000, position: 1, estimateMs: 6000 }] },
    { name: 'failed', queueShown: [{ atMs: 1000, position: 3, estimateMs: 9000 }] },
  ]);
  assert.equal(r.waited, 2);
  assert.deepEqual(
    r.learners.map((l) => [l.name, l.place, l.estimateS, l.actualS, l.errorS, l.updates, l.estimateRose]),
    [
      ['b', 2, 10, 12, 2, 3, 1],
      ['c', 1, 6, 5, -1, 1, 0],
    ],
  );
  assert.equal(r.meanAbsErrorS, 1.5);
  assert.equal(r.maxAbsErrorS, 2);
  assert.equal(r.learnersWhoseEstimateRose, 1);
  assert.equal(queueReport([]).meanAbsErrorS, null);
});

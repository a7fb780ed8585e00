/** The site's help pieces without a browser: the learner's hand as a sentence, the self-study contact link, the replay's check markers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contactHref, helpStateText } from '../../site/src/lib/workshop-help.ts';
import { castMarkers } from '../../site/src/lib/asciicast-markers.ts';
import { workshopLearner } from '../../site/src/i18n/ui/workshop-learner.ts';

test('the hand as the learner reads it, in both languages', () => {
  for (const ui of [workshopLearner.ru, workshopLearner.en] as Record<string, string>[]) {
    assert.match(helpStateText({ type: 'help', state: 'up', position: 3 }, ui), /3/);
    for (const by of ['learner', 'instructor', 'broadcast', 'end'] as const) assert.ok(helpStateText({ type: 'help', state: 'down', closedBy: by }, ui).length > 5, by);
  }
});

test('self-study contact: a mail with the message, lab and page encoded; a link as it is; anything else nothing', () => {
  const mail = contactHref('help@example.org', 'не работает & ?', 'tagging', 'https://lab.test/labs/tagging/')!;
  assert.match(mail, /^mailto:help@example\.org\?subject=/);
  assert.ok(decodeURIComponent(mail.split('body=')[1]!).includes('не работает & ?'));
  assert.ok(!mail.split('body=')[1]!.includes('&'), 'the message cannot add parameters');
  assert.equal(contactHref('https://chat.example.org/help', 'x', null, '/'), 'https://chat.example.org/help');
  assert.equal(contactHref('javascript:alert(1)', 'x', null, '/'), null);
});

test('check markers of an asciicast, a torn last line ignored', () => {
  const text = '{"version":2,"width":80,"height":24}\n[0.5,"o","$ "]\n[1.25,"m","check tagging: failed"]\n[2,"o","x"]\n[3,"m","check tagging: passed"]\n[4,"m","che';
  assert.deepEqual(castMarkers(text), [
    { time: 1.25, label: 'check tagging: failed' },
    { time: 3, label: 'check tagging: passed' },
  ]);
});

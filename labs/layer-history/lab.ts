import { defineLab } from '../../checks/define-lab.ts';
import { execOrThrow, fail, msg, pass, requireState, type Message } from '../../checks/lab-helpers.ts';
import { historyCommandKey, normalizeHistoryCommand, sameHistoryCommand } from '../../checks/history.ts';

const ANSWER = 'answers/fat-layer.txt';

interface Layer {
  createdBy: string;
  size: number;
}

/** A size in the language's units (catalogue keys size.*). */
function size(bytes: number): Message {
  if (bytes >= 1_000_000) return msg('size.mb', { n: Math.round(bytes / 1_000_000) });
  if (bytes >= 1_000) return msg('size.kb', { n: Math.round(bytes / 1_000) });
  return msg('size.b', { n: bytes });
}

/** A command in the language's quotes («…» / "…"), shortened to `max` characters. */
function quote(s: string, max = 140): Message {
  const t = s.replace(/\s+/g, ' ').trim();
  return msg('quote', { text: t.length > max ? t.slice(0, max) + '…' : t });
}

export default defineLab({
  async record(ctx) {
    const r = await execOrThrow(ctx, ['docker', 'history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', 'my-app:latest'], { timeoutMs: 30_000 });
    const layers: Layer[] = r.stdout
      .split('\n')
      .filter((l) => l.includes('\t'))
      .map((l) => {
        const i = l.indexOf('\t');
        return { size: Number(l.slice(0, i)) || 0, createdBy: l.slice(i + 1) };
      });
    const fat = [...layers].sort((a, b) => b.size - a.size)[0];
    if (!fat || fat.size < 100_000_000 || !fat.createdBy.includes('/dev/urandom')) {
      throw new Error(`my-app:latest has no ~300 MB layer made by the expected command: ${JSON.stringify(layers).slice(0, 500)}`);
    }
    ctx.state.set('expected', fat);
    ctx.state.set('layers', layers);
  },

  criteria: {
    async found(ctx) {
      const expected = requireState<Layer>(ctx, 'expected');
      const layers = requireState<Layer[]>(ctx, 'layers');
      const raw = await ctx.sandbox.readFile(`${ctx.sandbox.home}/${ANSWER}`, 64 * 1024);
      if (raw === null) {
        return fail('found.no-file', { file: ANSWER });
      }
      const text = raw.toString('utf8').replace(/\\\r?\n/g, ' ').trim();
      if (!text) return fail('found.empty', { file: ANSWER });
      if (sameHistoryCommand(text, expected.createdBy)) {
        return pass('found.ok', { size: size(expected.size), command: quote(normalizeHistoryCommand(expected.createdBy)) });
      }
      const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      if (lines.length > 1) {
        const hit = lines.some((l) => sameHistoryCommand(l, expected.createdBy));
        return fail(hit ? 'found.lines-with-answer' : 'found.lines', { count: lines.length });
      }
      const other = layers.find((l) => l !== expected && sameHistoryCommand(text, l.createdBy));
      if (other) {
        return fail('found.other-layer', { size: size(other.size) });
      }
      const answerKey = historyCommandKey(text.replace(/(…|\.\.\.)$/, ''));
      const expectedKey = historyCommandKey(expected.createdBy);
      if (/(…|\.\.\.)$/.test(text) && answerKey && expectedKey.startsWith(answerKey)) {
        return fail('found.truncated');
      }
      if (answerKey.length >= 8 && expectedKey.includes(answerKey)) {
        return fail('found.part', { command: quote(text) });
      }
      return fail('found.unknown', { command: quote(text) });
    },
  },
});

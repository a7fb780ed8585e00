import { defineLab } from '../../checks/define-lab.ts';
import { execOrThrow, fail, pass, requireState } from '../../checks/lab-helpers.ts';
import { historyCommandKey, normalizeHistoryCommand, sameHistoryCommand } from '../../checks/history.ts';

const ANSWER = 'answers/fat-layer.txt';

interface Layer {
  createdBy: string;
  size: number;
}

function size(bytes: number): string {
  if (bytes >= 1_000_000) return `${Math.round(bytes / 1_000_000)} МБ`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} КБ`;
  return `${bytes} Б`;
}

function quote(s: string, max = 140): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return `«${t.length > max ? t.slice(0, max) + '…' : t}»`;
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
        return fail(`Файл ~/${ANSWER} не найден. Найдите в истории слоёв образа my-app:latest инструкцию с самым большим размером и запишите её команду в этот файл.`);
      }
      const text = raw.toString('utf8').replace(/\\\r?\n/g, ' ').trim();
      if (!text) return fail(`Файл ~/${ANSWER} пуст. Запишите в него команду инструкции, которая добавила самый большой слой образа my-app:latest.`);
      if (sameHistoryCommand(text, expected.createdBy)) {
        return pass(`Верно: слой ${size(expected.size)} добавила команда ${quote(normalizeHistoryCommand(expected.createdBy))}. Такие данные не стоит класть в образ — их лучше загружать при запуске или монтировать томом.`);
      }
      const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      if (lines.length > 1) {
        const hit = lines.some((l) => sameHistoryCommand(l, expected.createdBy));
        return fail(
          hit
            ? `В файле ${lines.length} строк, и нужная команда среди них есть, но ответом должна быть одна команда — только она, без остальной истории. Оставьте в файле одну строку.`
            : `В файле ${lines.length} строк, и ни одна не совпадает с командой самого большого слоя. Запишите одну команду — ту, у которой в docker history самый большой SIZE.`,
        );
      }
      const other = layers.find((l) => l !== expected && sameHistoryCommand(text, l.createdBy));
      if (other) {
        return fail(`Это команда другого слоя: он весит всего ${size(other.size)}. Нужна инструкция, которая добавила основной объём образа, — в docker history у неё самый большой SIZE.`);
      }
      const answerKey = historyCommandKey(text.replace(/(…|\.\.\.)$/, ''));
      const expectedKey = historyCommandKey(expected.createdBy);
      if (/(…|\.\.\.)$/.test(text) && answerKey && expectedKey.startsWith(answerKey)) {
        return fail(`Команда в файле обрезана (кончается многоточием): docker history по умолчанию сокращает длинные строки. Посмотрите историю с ключом, который показывает команды полностью, и запишите команду целиком.`);
      }
      if (answerKey.length >= 8 && expectedKey.includes(answerKey)) {
        return fail(`Это только часть нужной команды: ${quote(text)}. Запишите команду этой инструкции целиком, как её показывает docker history --no-trunc.`);
      }
      return fail(
        `Команда в файле (${quote(text)}) не совпадает ни с одной инструкцией образа my-app:latest. Скопируйте команду из истории слоёв образа — у нужной инструкции самый большой SIZE.`,
      );
    },
  },
});

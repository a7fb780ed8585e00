import { defineLab } from '../../define-lab.ts';
import { fail, pass } from '../../lab-helpers.ts';

// Messages: messages.ru.json and messages.en.json next to this file (same keys, same {placeholders}).
export default defineLab({
  criteria: {
    async greeting(ctx) {
      const file = await ctx.sandbox.readFile(`${ctx.sandbox.home}/hello.txt`, 4096);
      if (!file) return fail('greeting.no-file');
      const text = file.toString('utf8').trim();
      if (text === 'привет') return pass('greeting.ok');
      return fail('greeting.other', { text: text.slice(0, 40) });
    },
  },
});

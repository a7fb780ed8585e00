import { defineLab } from '../../define-lab.ts';
import { fail, pass } from '../../lab-helpers.ts';

export default defineLab({
  criteria: {
    async greeting(ctx) {
      const file = await ctx.sandbox.readFile(`${ctx.sandbox.home}/hello.txt`, 4096);
      if (!file) return fail('Файла ~/hello.txt нет. Создайте его: echo привет > ~/hello.txt');
      const text = file.toString('utf8').trim();
      if (text === 'привет') return pass('В ~/hello.txt записано «привет».');
      return fail(`В ~/hello.txt записано «${text.slice(0, 40)}», а нужно «привет».`);
    },
  },
});

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES } from '../../runner/src/config.ts';

it('README documents every configuration variable with its default', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const v of CONFIG_VARIABLES) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.name}\` |`));
    assert.ok(row, `README has no row for ${v.name}`);
    if (v.default) assert.ok(row.includes(`\`${v.default}\``), `README row of ${v.name} lacks its default ${v.default}`);
  }
});

it('README opens with the start and test commands', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  assert.match(firstBlock, /^npm start\b/m);
  assert.match(firstBlock, /^npm test\b/m);
});

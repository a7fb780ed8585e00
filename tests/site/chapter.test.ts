/**
 * A lab's place in the chapter is declared once, in labs/<id>/lab.json (`section`, `order`,
 * `minutes`; site/src/data/chapter.ts holds the sections only): every lab names a section of the
 * chapter, the labs' `order` follows the sections' reading order, and every lab says its minutes.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labFolders, readLabJson } from '../../checks/lab-schema.ts';
import { chapterOrder, labsOfSection, sections } from '../../site/src/data/chapter.ts';

const labsDir = join(import.meta.dirname, '../../labs');

async function labs() {
  const out = [];
  for (const name of labFolders(labsDir)) {
    const read = await readLabJson(join(labsDir, name), name);
    assert.ok(read.ok, `labs/${name}: ${read.ok ? '' : read.error}`);
    out.push(read.definition);
  }
  return out;
}

it('every lab names a section of the chapter and says its minutes', async () => {
  const slugs = sections.map((s) => s.slug);
  for (const lab of await labs()) {
    assert.ok(slugs.includes(lab.section), `labs/${lab.id}/lab.json: section "${lab.section}" is not one of site/src/data/chapter.ts (${slugs.join(', ')})`);
    assert.ok(lab.minutes, `labs/${lab.id}/lab.json: "minutes" is missing`);
  }
});

it('the labs in order follow the sections in reading order', async () => {
  const all = await labs();
  const ordered = chapterOrder(all).map((l) => l.id);
  const bySection = sections.flatMap((s) => labsOfSection(all, s.slug)).map((l) => l.id);
  assert.deepEqual(ordered, bySection, 'lab.json "order" must list the labs section by section, in the order of chapter.ts');
});

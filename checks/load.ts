/** Loading labs: labs/<id>/lab.json (schema) + lab.ts (declaration) + scripts, checked together. */
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { specProblem, type AnyLabSpec } from './define-lab.ts';
import { formatIssues, labFolders, readLabJson, type LabDefinition } from './lab-schema.ts';
import { readCatalogues, type Catalogues } from './messages.ts';

/** What the engine reads of labs/<id>/lab.en.json (the site reads the rest). */
export interface LabEnglish {
  title?: string;
  summary?: string;
  criteria?: Record<string, string>;
}

export interface LoadedLab {
  /** = definition.id = folder name. */
  id: string;
  /** Absolute path of labs/<id>. */
  dir: string;
  definition: LabDefinition;
  spec: AnyLabSpec;
  /** Absolute paths; setup.sh is optional. */
  setupScript: string | null;
  solveScript: string;
  /** Names of wrong/*.sh without extension, sorted. */
  wrongSolutions: string[];
  /** Names of alt/*.sh (other right answers a learner would type) without extension, sorted. */
  altSolutions: string[];
  /** labs/<id>/messages.{ru,en}.json: the lab's check messages, both languages with the same keys. */
  messages: Catalogues;
  /** labs/<id>/lab.en.json (English title and criterion titles), when the lab has one. */
  english: LabEnglish | null;
}

export class LabLoadError extends Error {
  readonly labId: string;
  constructor(labId: string, message: string) {
    super(`lab "${labId}": ${message}`);
    this.name = 'LabLoadError';
    this.labId = labId;
  }
}

/** Loads one lab folder; throws LabLoadError naming the lab and what is wrong. */
export async function loadLab(dir: string): Promise<LoadedLab> {
  const abs = resolve(dir);
  const folder = abs.split(sep).pop()!;
  const read = await readLabJson(abs, folder);
  if (!read.ok) throw new LabLoadError(folder, read.error);
  const definition = read.definition;

  const tsPath = join(abs, 'lab.ts');
  if (!existsSync(tsPath)) throw new LabLoadError(folder, 'lab.ts is missing (default export defineLab({ criteria }))');
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(tsPath).href)) as { default?: unknown };
  } catch (err) {
    throw new LabLoadError(folder, `lab.ts could not be imported: ${(err as Error).message}`);
  }
  const problem = specProblem(mod.default, definition.criteria.map((c) => c.id));
  if (problem) throw new LabLoadError(folder, problem);

  let messages: Catalogues;
  try {
    messages = readCatalogues(abs);
  } catch (err) {
    throw new LabLoadError(folder, `messages: ${(err as Error).message}`);
  }
  let english: LabEnglish | null = null;
  if (existsSync(join(abs, 'lab.en.json'))) {
    try {
      english = JSON.parse(await readFile(join(abs, 'lab.en.json'), 'utf8')) as LabEnglish;
    } catch (err) {
      throw new LabLoadError(folder, `lab.en.json is not JSON: ${(err as Error).message}`);
    }
  }

  const setupPath = join(abs, 'setup.sh');
  const solvePath = join(abs, 'solve.sh');
  if (!existsSync(solvePath)) throw new LabLoadError(folder, 'solve.sh (the reference solution) is missing');
  const filesDir = join(abs, 'files');
  if (existsSync(filesDir) && !(await stat(filesDir)).isDirectory()) throw new LabLoadError(folder, 'files must be a directory');

  return {
    id: definition.id,
    dir: abs,
    definition,
    spec: mod.default as AnyLabSpec,
    setupScript: existsSync(setupPath) ? setupPath : null,
    solveScript: solvePath,
    wrongSolutions: await readScriptNames(abs, 'wrong'),
    altSolutions: await readScriptNames(abs, 'alt'),
    messages,
    english,
  };
}

/** Every labs/<id>/ with a lab.json, validated and imported, sorted by order then id. */
export async function loadLabs(labsDir: string): Promise<LoadedLab[]> {
  const root = resolve(labsDir);
  let folders;
  try {
    folders = labFolders(root);
  } catch (err) {
    throw new Error(`labs folder ${root} cannot be read: ${(err as Error).message}`);
  }
  const labs: LoadedLab[] = [];
  for (const name of folders) labs.push(await loadLab(join(root, name)));
  return labs.sort((a, b) => a.definition.order - b.definition.order || a.id.localeCompare(b.id));
}

async function readScriptNames(dir: string, folder: 'wrong' | 'alt'): Promise<string[]> {
  try {
    return (await readdir(join(dir, folder)))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}

/** Names of the lab's wrong/*.sh (without `.sh`), read from disk now. */
export async function listWrongSolutions(lab: LoadedLab): Promise<string[]> {
  return readScriptNames(lab.dir, 'wrong');
}

export { formatIssues };

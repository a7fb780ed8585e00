/** A typed command line as words: quotes and backslashes as a shell reads them, prompts and `sudo` dropped. */

/** Split a command line into words, honouring single and double quotes and backslashes. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Without a pasted prompt (`$ `, `# `, `> `) and `sudo` (with its flags). */
export function stripPrefixes(words: string[]): string[] {
  const w = [...words];
  while (w.length && (w[0] === '$' || w[0] === '#' || w[0] === '>')) w.shift();
  if (w[0]?.startsWith('$') && w[0].length > 1 && !w[0].startsWith('${')) w[0] = w[0].slice(1);
  while (w[0] === 'sudo') {
    w.shift();
    while (w[0]?.startsWith('-')) w.shift(); // sudo -E, sudo -u root would need a value; keep it simple
  }
  return w;
}


// @ts-check
/**
 * Expressive Code plugin: code blocks in bash/sh/console get a "run in terminal" button
 * next to Starlight's copy button. The button carries the commands (comments and prompts removed);
 * src/scripts/run-in-terminal.ts types them into the nearest <Terminal> on the page. Pages without
 * a terminal hide the button (CSS: html:not(.rl-has-terminal)).
 */
import { h } from '@astrojs/starlight/expressive-code/hast';
import { ui } from '../i18n/ui.ts';

// `shell` blocks are deliberately left out: the chapter uses them for commands that need
// what the sandbox lacks (Docker Hub, cloud CLIs), so offering to run them would only fail.
const SHELL = new Set(['bash', 'sh', 'console', 'shell-session', 'shellsession']);

/**
 * Commands of a block: `console` keeps only `$ ` lines; others drop comments and blank lines.
 * @param {string} code
 * @param {string} language
 */
export function commandsOf(code, language) {
  const lines = code.split('\n');
  const isSession = language === 'console' || language === 'shell-session' || language === 'shellsession';
  const out = [];
  for (const line of lines) {
    const m = /^\s*\$\s?(.*)$/.exec(line);
    if (isSession) {
      if (m) out.push(m[1]);
      continue;
    }
    const text = m ? m[1] : line;
    if (!text.trim() || /^\s*#/.test(text)) continue;
    out.push(text);
  }
  return out.join('\n');
}

/** @returns {import('@astrojs/starlight/expressive-code').ExpressiveCodePlugin} */
export function runInTerminalPlugin() {
  return {
    name: 'rl-run-in-terminal',
    hooks: {
      postprocessRenderedBlock: ({ codeBlock, renderData, locale }) => {
        if (!SHELL.has(codeBlock.language)) return;
        if (codeBlock.metaOptions.getBoolean('norun') === true) return;
        const commands = commandsOf(codeBlock.code, codeBlock.language);
        if (!commands) return;
        const t = String(locale ?? 'ru').startsWith('en') ? ui.en : ui.ru;
        const button = h('div', { className: 'rl-run' }, [
          h(
            'button',
            { type: 'button', className: 'rl-run-btn', 'data-rl-run': commands, title: t['term.run'] },
            [h('span', { 'aria-hidden': 'true' }, '▶ '), t['term.run']],
          ),
        ]);
        const ast = renderData.blockAst;
        if (ast.type === 'element' && ast.tagName === 'figure') ast.children.push(button);
        else renderData.blockAst = h('div', { className: 'rl-run-wrap' }, [ast, button]);
      },
    },
  };
}

/** The learner's xterm.js screen inside `.rl-term-screen`: look, scrollback, fit add-on, a label for screen readers. */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

export function createScreen(screen: HTMLElement, label: string): { term: Terminal; fit: FitAddon } {
  const term = new Terminal({
    cursorBlink: true,
    convertEol: false,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3', selectionBackground: '#3b5070' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  screen.querySelector('textarea')?.setAttribute('aria-label', label);
  return { term, fit };
}

/**
 * Wires the "run in terminal" buttons that the Expressive Code plugin adds to shell code blocks:
 * a click types the block's commands into the nearest terminal below (else above) the block.
 * Shown only on pages that have a <Terminal>.
 */
function nearestTerminal(from: Element): HTMLElement | null {
  const all = [...document.querySelectorAll<HTMLElement>('rl-terminal')];
  if (all.length === 0) return null;
  const after = all.find((t) => from.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
  return after ?? all[all.length - 1]!;
}

function init() {
  if (!document.querySelector('rl-terminal')) return;
  document.documentElement.classList.add('rl-has-terminal');
  document.addEventListener('click', (e) => {
    const btn = (e.target as Element | null)?.closest<HTMLButtonElement>('button[data-rl-run]');
    if (!btn) return;
    const term = nearestTerminal(btn);
    if (!term) return;
    const text = btn.dataset.rlRun ?? '';
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    term.scrollIntoView({ block: 'nearest', behavior: reduce ? 'auto' : 'smooth' });
    term.dispatchEvent(new CustomEvent('rl-terminal-type', { detail: { text: text.replace(/\n/g, '\r') + '\r' } }));
  });
}

init();

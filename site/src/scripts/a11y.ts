/**
 * Site-wide accessibility fixes, loaded on every page (Footer override):
 *  - code blocks and tables that scroll horizontally become focusable, so keyboard users can scroll them;
 *  - Starlight's search button shows a "Ctrl K" hint that is not part of its accessible name
 *    (axe: label-content-name-mismatch); the shortcut is announced through aria-keyshortcuts instead.
 */
export function markScrollables() {
  document
    .querySelectorAll<HTMLElement>('.sl-markdown-content pre, .sl-markdown-content table, .rl-solution-code pre')
    .forEach((el) => {
      const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (scrolls && !el.hasAttribute('tabindex')) {
        el.tabIndex = 0;
        el.dataset.rlScrollable = '';
      } else if (!scrolls && el.dataset.rlScrollable !== undefined) {
        el.removeAttribute('tabindex');
        delete el.dataset.rlScrollable;
      }
    });
}

/** Visible text "Поиск Ctrl K" must be part of the button's name (WCAG 2.5.3 Label in Name). */
function fixSearchButton() {
  const btn = document.querySelector<HTMLButtonElement>('button[data-open-modal]');
  const label = btn?.getAttribute('aria-label');
  if (!btn || !label || btn.dataset.rlNamed !== undefined) return;
  btn.querySelector(':scope > span')?.after(document.createTextNode(' '));
  btn.querySelectorAll('kbd kbd').forEach((k, i, all) => {
    if (i < all.length - 1) k.after(document.createTextNode(' '));
  });
  const keys = [...btn.querySelectorAll('kbd kbd')].map((k) => k.textContent?.trim()).join(' ');
  if (keys) btn.setAttribute('aria-label', `${label} ${keys}`);
  btn.dataset.rlNamed = '';
}

fixSearchButton();
markScrollables();
let timer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(timer);
  timer = setTimeout(markScrollables, 150);
});
// content revealed later (the reference solution, hints) may scroll too
new MutationObserver(() => {
  clearTimeout(timer);
  timer = setTimeout(markScrollables, 150);
}).observe(document.body, { attributes: true, attributeFilter: ['hidden'], subtree: true });

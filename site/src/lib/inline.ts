/** Tiny, safe inline formatter for quiz and lab strings: `code`, **bold**, blank-line paragraphs. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function inlineHtml(s: string): string {
  return s
    .trim()
    .split(/(`[^`]+`)/g)
    .map((part) =>
      part.startsWith('`') && part.endsWith('`') && part.length > 1
        ? `<code>${escapeHtml(part.slice(1, -1))}</code>`
        : escapeHtml(part).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>'),
    )
    .join('');
}

export function blockHtml(s: string): string {
  return s
    .trim()
    .split(/\n\s*\n/)
    .map((p) => `<p>${inlineHtml(p.replace(/\s*\n\s*/g, ' '))}</p>`)
    .join('');
}

/**
 * Quiz prompts: paragraphs as in blockHtml, plus fenced code blocks (```) shown as they are, for
 * "here is the output, what happened?" questions.
 */
export function richHtml(s: string): string {
  return s
    .trim()
    .split(/^```[^\n]*\n([\s\S]*?)^```\s*$/m)
    .map((part, i) => (i % 2 ? `<pre class="rl-q-output"><code>${escapeHtml(part.replace(/\n$/, ''))}</code></pre>` : part.trim() ? blockHtml(part) : ''))
    .join('');
}

// Expressive Code options (a separate file so Starlight's <Code> component can use them too).
import { defineEcConfig } from '@astrojs/starlight/expressive-code';
import { pluginFramesTexts } from 'astro-expressive-code';
import { runInTerminalPlugin } from './src/lib/ec-run-in-terminal.mjs';

/**
 * The frame labels of a code block in English. With Russian as the root locale, Starlight hands
 * Expressive Code its Russian labels for `en` as well, so the English ones are set here; this runs
 * from `getBlockLocale`, after Starlight has registered its own (tests/site/english-edition.test.ts).
 */
const EN_FRAME_TEXTS = { terminalWindowFallbackTitle: 'Terminal window', copyButtonTooltip: 'Copy to clipboard', copyButtonCopied: 'Copied!' };

/**
 * The language of a code block (frame labels and the run button): English for content/docs/en/,
 * labs/<id>/page.en.mdx and <Code> on /en/ pages, Russian otherwise.
 * @param {{ file: { path?: string, url?: URL } }} ctx
 */
export function blockLocale({ file }) {
  pluginFramesTexts.overrideTexts('en', EN_FRAME_TEXTS);
  const where = file.path || (file.url ? file.url.pathname : '');
  return /\/content\/docs\/en\/|\/page\.en\.mdx$|^\/en\//.test(where) ? 'en' : 'ru';
}

export default defineEcConfig({
  plugins: [runInTerminalPlugin()],
  getBlockLocale: blockLocale,
});

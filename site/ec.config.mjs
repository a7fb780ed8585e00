// Expressive Code options (a separate file so Starlight's <Code> component can use them too).
import { defineEcConfig } from '@astrojs/starlight/expressive-code';
import { runInTerminalPlugin } from './src/lib/ec-run-in-terminal.mjs';

export default defineEcConfig({
  plugins: [runInTerminalPlugin()],
});

// `node --test tests/labs/` resolves the folder to this file and runs the folder's suites
// in one process (npm test collects the *.test.ts files directly and never runs this file).
//   LAB=tagging node_modules/.bin/node --test tests/labs/     one lab (plus the fast unit suites)
await import('./engine.test.ts');
await import('./registry-client.test.ts');
await import('./labs.test.ts');

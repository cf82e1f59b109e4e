#!/usr/bin/env node
/**
 * Runs a TypeScript entry of this package from source, with `@monque/core` read from
 * packages/core/src (not its build), so `npm run dashboard` and the CLI tests work in a fresh
 * clone before anything is built:
 *
 *   node packages/dashboard/scripts/run-from-source.mjs packages/dashboard/src/bin/monque.ts stats
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [, , entry, ...rest] = process.argv;
if (!entry) {
  process.stderr.write('usage: run-from-source.mjs <entry.ts> [arguments…]\n');
  process.exit(2);
}
register({ tsconfig: new URL('./tsconfig.source.json', import.meta.url).pathname });
// The entry sees its own arguments at process.argv[2…], as when run directly.
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);

#!/usr/bin/env node
// The `descent` command: runs the compiled CLI (dist/src/cli/main.js) and exits with its status.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write(`descent: the CLI is not built (${entry} is missing); run \`npm run build\` in the descent package first.\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));

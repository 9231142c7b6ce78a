#!/usr/bin/env node
/**
 * Entry of `npm run bench`: builds the WebAssembly kernels if asm/ changed, then runs the
 * TypeScript benchmark (bench/main.ts) straight from source through tsx, so no compile step
 * stands between an edit and a measurement. Flags: --quick, --no-peers, --only=a,b, --out=FILE.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs')], { stdio: 'inherit' });
register();
await import('./main.ts');

#!/usr/bin/env node
/**
 * Gives CommonJS consumers `require('descent')` and every subpath, with types, while one copy of
 * the library runs: descent is ES modules, and Node ≥ 20.19 (descent's minimum) can `require`
 * them, so each `require` entry is a one-line CommonJS file that re-exports the ES module. The
 * classes a CommonJS consumer gets are the very ones an ES consumer gets (no dual-package
 * hazard: one `Tensor`, one kernel backend, one WebAssembly heap).
 *
 * TypeScript needs declarations that are CommonJS themselves, or a consumer compiled with
 * `module: node16` to CommonJS is told it cannot `require` an ES module. dist/cjs/ therefore
 * holds a copy of the declarations under a package.json that says `"type": "commonjs"`.
 *
 * The entries come from package.json's `exports`: each `import` entry `./dist/src/X.js` must
 * have the `require` entry `./dist/cjs/X.js` with types `./dist/cjs/X.d.ts`; the build fails
 * naming the entry otherwise, so the map and the files cannot drift apart.
 *
 *   node scripts/build-cjs.mjs     (after `tsc -p tsconfig.build.json`)
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const esmDir = join(root, 'dist', 'src');
const cjsDir = join(root, 'dist', 'cjs');

function fail(message) {
  console.error(`build-cjs: ${message}`);
  process.exit(1);
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entries = [];
for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
  if (typeof target === 'string') continue; // ./package.json
  const esm = target.import?.default;
  if (typeof esm !== 'string' || !esm.startsWith('./dist/src/') || !esm.endsWith('.js')) {
    fail(`exports["${subpath}"].import.default should be ./dist/src/….js, got ${JSON.stringify(esm)}`);
  }
  const inner = esm.slice('./dist/src/'.length);
  const wanted = { types: `./dist/cjs/${inner.replace(/\.js$/, '.d.ts')}`, default: `./dist/cjs/${inner}` };
  if (JSON.stringify(target.require) !== JSON.stringify(wanted)) {
    fail(`exports["${subpath}"].require should be ${JSON.stringify(wanted)}, got ${JSON.stringify(target.require)}`);
  }
  if (!existsSync(join(esmDir, inner))) fail(`exports["${subpath}"] names ${esm}, which tsc did not emit`);
  entries.push(inner);
}

rmSync(cjsDir, { recursive: true, force: true });
cpSync(esmDir, cjsDir, { recursive: true, filter: (source) => !source.endsWith('.js') && !source.endsWith('.map') });
for (const inner of entries) {
  const file = join(cjsDir, inner);
  mkdirSync(dirname(file), { recursive: true });
  const target = relative(dirname(file), join(esmDir, inner)).split('\\').join('/');
  writeFileSync(file, `'use strict';\n// descent is ES modules; Node >= 20.19 requires them, so CommonJS gets the same module instance.\nmodule.exports = require('${target.startsWith('.') ? target : `./${target}`}');\n`);
}
// Written last: bin/descent.js reads its age as the build's.
writeFileSync(join(cjsDir, 'package.json'), '{ "type": "commonjs" }\n');
console.log(`build-cjs: ${entries.length} CommonJS entries and their declarations in ${relative(root, cjsDir)}/`);

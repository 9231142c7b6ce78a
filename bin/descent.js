#!/usr/bin/env node
// The `descent` command: runs the compiled CLI (dist/src/cli/main.js) and exits with its status.
// In a clone of the repository (sources beside the build), it first builds what is missing or
// older than the sources, so `npm install && npx descent race` works with no separate build step;
// an installed package has no sources and runs its build as shipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const stamp = fileURLToPath(new URL('../dist/cjs/package.json', import.meta.url));

// `descent race` keeps every core busy with one trial per worker thread, so V8's parallel
// garbage-collection helpers only take turns with the trials on the same cores: each isolate
// collecting on its own thread cut a --quick run's CPU time outside its trials from about 17 s
// to 11 s. V8 reads that flag once at start-up, so the race starts node again with it (before the
// build check below, which the new process then makes once).
const SINGLE_THREADED_GC = '--single-threaded-gc';
if (process.argv.slice(2).find((arg) => !arg.startsWith('-')) === 'race' && !process.execArgv.includes(SINGLE_THREADED_GC)) {
  const race = spawnSync(process.execPath, [SINGLE_THREADED_GC, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(race.status ?? 1);
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(`${path}/${name}`)), 0);
}

const inClone = existsSync(`${root}src/index.ts`) && existsSync(`${root}tsconfig.build.json`);
if (inClone) {
  // dist/cjs/package.json is written last by `npm run build:lib`, so its age is the build's.
  const sources = ['src', 'asm', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((name) => newestMtime(`${root}${name}`));
  const run = (script) => execFileSync('npm', ['run', '--silent', script], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    if (!existsSync(entry) || !existsSync(stamp) || Math.max(...sources) > statSync(stamp).mtimeMs) {
      process.stderr.write('descent: building the library from this clone (npm run build:lib)…\n');
      run('build:lib');
    }
    if (!existsSync(`${root}packages/datasets/data/mnist.safetensors`)) {
      process.stderr.write('descent: converting the bundled datasets (npm run build:data)…\n');
      run('build:data');
    }
  } catch {
    process.stderr.write('descent: the build failed (its output is above); run `npm install` in this clone, then try again.\n');
    process.exit(1);
  }
}
if (!existsSync(entry)) {
  process.stderr.write(`descent: the CLI is not built (${entry} is missing); run \`npm run build\` in the descent package first.\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));

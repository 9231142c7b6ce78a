#!/usr/bin/env node
/**
 * Compiles the AssemblyScript kernels in asm/ to WebAssembly and writes
 * src/wasm/generated.ts, a TypeScript module that holds each binary as base64, so the
 * library loads its kernels the same way in Node and in browsers, with no file or fetch, and
 * the TypeScript signature of every exported kernel (`OptimKernels`, `MatmulKernels`), read
 * from the sources, and the kernels marked `@parallel` (asm/lib/segments.ts): a kernel added to
 * asm/optim/ is built and typed with nothing else to edit.
 *
 *   node scripts/build-wasm.mjs          build (skipped when the output is newer than every source)
 *   node scripts/build-wasm.mjs --force  always build
 *   node scripts/build-wasm.mjs --wat    also write the text form beside the binaries in build/wasm/
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ascBin = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const outFile = join(root, 'src', 'wasm', 'generated.ts');
const scratch = join(root, 'build', 'wasm');

/** Every optimizer kernel file: one per optimizer (or family), each an entry whose exports the module exports. */
const optimSources = readdirSync(join(root, 'asm', 'optim'))
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => `asm/optim/${f}`);

/**
 * One entry per WebAssembly module: its sources, the exported constant that holds it, and the
 * interface its exports get. The kernels take every address from the caller and keep nothing
 * between calls, so the memory is imported and no runtime or allocator is linked in. Each
 * module is built twice: importing a shared memory (src/wasm/heap.ts keeps every arena in one
 * such memory, which grows without detaching views), and a plain one for runtimes that have no
 * shared memory. asm/lib/ holds what the sources import (inlined, not exported).
 */
const modules = [
  { name: 'optim', constant: 'optimWasmBase64', types: 'OptimKernels', sources: [...optimSources, 'asm/floor.ts'] },
  { name: 'matmul', constant: 'matmulWasmBase64', types: 'MatmulKernels', sources: ['asm/matmul.ts'], relaxed: true },
];
const sharedFlags = ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'];
const relaxedFlags = ['--enable', 'relaxed-simd'];
/**
 * A module marked `relaxed` is also built with relaxed SIMD (fused multiply-add), which the
 * loader picks where the engine validates it (Node 20 only behind --experimental-wasm-relaxed-simd).
 */
const variantsOf = (module) => [
  { suffix: '', flags: [] },
  { suffix: 'Shared', flags: sharedFlags },
  ...(module.relaxed ? [{ suffix: 'Relaxed', flags: relaxedFlags, relaxed: true }, { suffix: 'RelaxedShared', flags: [...relaxedFlags, ...sharedFlags], relaxed: true }] : []),
];

/**
 * Whether `bytes` validate: in this engine, or, for a relaxed-SIMD build that this engine does
 * not run (Node 20), in a Node started with the flag that enables relaxed SIMD.
 */
function validates(bytes, file, relaxed) {
  if (WebAssembly.validate(bytes)) return true;
  if (!relaxed) return false;
  const check = `process.exit(WebAssembly.validate(require('node:fs').readFileSync(${JSON.stringify(file)})) ? 0 : 1)`;
  try {
    execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', check], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const libraries = readdirSync(join(root, 'asm', 'lib')).map((f) => `asm/lib/${f}`);

const flags = [
  '--enable', 'simd',
  '-O3', '--converge',
  '--runtime', 'stub',
  '--importMemory',
  '--noAssert',
  // No abort import: the kernels check nothing at run time (callers validate), so the module
  // needs nothing but its memory.
  '--use', 'abort=',
];

const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const wat = args.has('--wat');

function newestSource() {
  const files = [fileURLToPath(import.meta.url), ...libraries.map((s) => join(root, s)), ...modules.flatMap((m) => m.sources.map((s) => join(root, s)))];
  return Math.max(...files.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
}

/** AssemblyScript's scalar types, as the numbers JavaScript passes and gets. */
const JS_TYPE = { usize: 'number', isize: 'number', i32: 'number', u32: 'number', f32: 'number', f64: 'number', bool: 'number', void: 'void' };

/**
 * The TypeScript interface of a module's exports, read from its sources: each `export function`
 * with its parameters' names and the first paragraph of its doc comment.
 */
function exportsInterface(module) {
  const members = [];
  const parallel = [];
  for (const source of module.sources) {
    const text = readFileSync(join(root, source), 'utf8');
    const pattern = /(?:\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*)?export function (\w+)\(([^)]*)\)\s*:\s*(\w+)/g;
    for (const [, doc, name, params, result] of text.matchAll(pattern)) {
      const args = params.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
        const [arg, type] = p.split(':').map((x) => x.trim());
        if (!(type in JS_TYPE)) throw new Error(`build-wasm: ${source}: ${name}(${arg}: ${type}): no JavaScript type for '${type}'`);
        return `${arg}: ${JS_TYPE[type]}`;
      });
      if (!(result in JS_TYPE)) throw new Error(`build-wasm: ${source}: ${name} returns '${result}', which has no JavaScript type`);
      if (doc !== undefined && /@parallel\b/.test(doc)) {
        if (!/^\s*table\s*:\s*usize\s*,\s*count\s*:\s*i32\b/.test(params)) throw new Error(`build-wasm: ${source}: ${name} is marked @parallel but does not start with (table: usize, count: i32)`);
        parallel.push(name);
      }
      const summary = doc === undefined ? '' : doc.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join(' ').trim().split(/\.\s/)[0].replace(/\s+/g, ' ');
      if (summary) members.push(`  /** ${summary.replace(/\.$/, '')}. (${source}) */`);
      members.push(`  ${name}(${args.join(', ')}): ${JS_TYPE[result]};`);
    }
  }
  return [
    `/** The exports of ${module.sources.join(' + ')}; addresses are byte offsets. */`, `export interface ${module.types} {`, ...members, '}', '',
    `/** The kernels of ${module.types} marked \`@parallel\`: element by element over a segment table, so the table may be split across threads. */`,
    `export const ${module.name}ParallelKernels: ReadonlyArray<keyof ${module.types}> = ${JSON.stringify(parallel)};`,
    '',
  ];
}

if (!force && existsSync(outFile) && statSync(outFile).mtimeMs >= newestSource()) {
  console.log(`build-wasm: ${relative(root, outFile)} is up to date`);
  process.exit(0);
}

mkdirSync(scratch, { recursive: true });
const lines = [
  '// Generated by scripts/build-wasm.mjs from the AssemblyScript sources in asm/. Do not edit;',
  '// run `node scripts/build-wasm.mjs` after changing asm/.',
  '',
];
for (const module of modules) {
  const missing = module.sources.filter((s) => !existsSync(join(root, s)));
  if (missing.length > 0) throw new Error(`build-wasm: module ${module.name} needs ${missing.join(', ')}, which does not exist`);
  for (const variant of variantsOf(module)) {
    const name = `${module.name}${variant.suffix}`;
    const binary = join(scratch, `${name}.wasm`);
    const text = wat ? ['--textFile', join(scratch, `${name}.wat`)] : [];
    execFileSync(process.execPath, [ascBin, ...module.sources, ...flags, ...variant.flags, '--outFile', binary, ...text], { cwd: root, stdio: 'inherit' });
    const bytes = readFileSync(binary);
    if (!validates(bytes, binary, variant.relaxed === true)) throw new Error(`build-wasm: ${name}.wasm does not validate`);
    const constant = module.constant.replace(/WasmBase64$/, `${variant.suffix}WasmBase64`);
    const traits = [variant.relaxed ? 'with relaxed SIMD' : '', variant.suffix.endsWith('Shared') ? 'importing a shared memory' : ''].filter(Boolean);
    lines.push(`/** ${module.sources.join(' + ')}${traits.map((t) => `, ${t}`).join('')}: ${bytes.length} bytes. */`);
    // Typed as string, so the declarations say `string` rather than repeat the binary as a literal type.
    lines.push(`export const ${constant}: string =\n  '${bytes.toString('base64')}';`);
    lines.push('');
    console.log(`build-wasm: ${name}.wasm ${bytes.length} bytes from ${module.sources.join(', ')}`);
  }
  lines.push(...exportsInterface(module));
}
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, lines.join('\n'));
console.log(`build-wasm: wrote ${relative(root, outFile)}`);

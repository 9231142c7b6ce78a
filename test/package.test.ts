/**
 * The published package, as its users get it: one `npm pack` of the built library, checked by
 * publint and Are the Types Wrong, then installed (unpacked, offline) into a CommonJS project and
 * an ES module project that compile a consumer of the root and every subpath with `tsc`
 * (`module: node16`) and run it. Needs the build that `pretest` makes (`npm run build`).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { scratchDirs } from './helpers/scratch.js';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const scratchDir = scratchDirs('package');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const subpaths = Object.keys(manifest.exports).filter((key) => key !== '.' && key !== './package.json').map((key) => `descent/${key.slice(2)}`);

let tarball = '';

beforeAll(() => {
  for (const built of ['dist/src/index.js', 'dist/cjs/index.js']) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` (npm test's pretest does) before this test`);
  }
  const packDir = scratchDir('pack');
  // --ignore-scripts: the build is pretest's; packing must not rebuild under a running suite.
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, encoding: 'utf8', timeout: 120_000 })) as Array<{ filename: string }>;
  tarball = join(packDir, packed!.filename);
}, 180_000);

const projects = new Map<'commonjs' | 'module', string>();

/**
 * A project with the packed descent unpacked into node_modules and the peers it uses linked from
 * this checkout; one of each type, shared by the tests (each writes files of its own into it).
 */
function consumerProject(type: 'commonjs' | 'module'): string {
  const made = projects.get(type);
  if (made !== undefined) return made;
  const dir = scratchDir(type);
  projects.set(type, dir);
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, 'descent'), { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', join(modules, 'descent'), '--strip-components=1']);
  for (const peer of ['@tensorflow/tfjs', 'commander', '@types/node']) {
    mkdirSync(dirname(join(modules, peer)), { recursive: true });
    symlinkSync(join(root, 'node_modules', peer), join(modules, peer), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${type}`, private: true, type }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, outDir: 'out', rootDir: '.', types: ['node'], skipLibCheck: true },
    files: ['consumer.ts'],
  }));
  cpSync(join(root, 'test', 'fixtures', 'consumer', 'consumer.ts'), join(dir, 'consumer.ts'));
  return dir;
}

/** Compiles and runs the consumer; returns the compiled file's text and what it printed. */
function compileAndRun(dir: string): { compiled: string; result: Record<string, unknown> } {
  try {
    execFileSync(bin('tsc'), ['-p', dir], { encoding: 'utf8', timeout: 180_000 });
  } catch (error) {
    throw new Error(`tsc rejected the consumer in ${dir}:\n${String((error as { stdout?: string }).stdout)}`);
  }
  const output = execFileSync(process.execPath, [join(dir, 'out', 'consumer.js')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { compiled: readFileSync(join(dir, 'out', 'consumer.js'), 'utf8'), result: JSON.parse(output.split('\n').find((line) => line.startsWith('{'))!) as Record<string, unknown> };
}

function expectWorkingConsumer(result: Record<string, unknown>): void {
  expect(result.version).toBe('0.1.0');
  (result.adamW as number[]).forEach((w) => expect(w).toBeCloseTo(3, 2));
  expect(result.optimizers).toBeGreaterThanOrEqual(17);
  // One copy of the library: the registry's and the data loader's tensors are the root's class.
  expect(result.registryStepsRootParameters).toBe(true);
  expect(result.batchIsRootTensor).toBe(true);
  expect(result.rosenbrockAtMinimum).toBe(0);
  expect(result.claims).toBeGreaterThanOrEqual(13);
  expect(result.quickBudget).toBe('object');
  // v = 4, gradient 2v = 8, lr 0.5: 4 − 4 = 0.
  expect(result.tfjsAfterStep).toEqual([0]);
}

describe('the packed package', () => {
  it('finds the bundled datasets in descent-datasets, and names that package when it is absent', () => {
    const dir = consumerProject('module');
    const script = `import { loadIris } from 'descent'; const { x } = loadIris(); console.log(JSON.stringify(x.shape));`;
    writeFileSync(join(dir, 'iris.js'), script);
    const run = (): string => execFileSync(process.execPath, [join(dir, 'iris.js')], { cwd: dir, encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
    expect(run).toThrow(/loadIris: the bundled datasets are in the descent-datasets package, which is not installed\. Install it beside descent \(`npm install descent-datasets`/);
    const link = join(dir, 'node_modules', 'descent-datasets');
    symlinkSync(join(root, 'packages', 'datasets'), link, 'dir');
    try {
      expect(JSON.parse(run())).toEqual([150, 4]);
    } finally {
      unlinkSync(link);
    }
  });

  it('holds the library and no datasets, source maps or build leftovers', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/cjs/index.d.ts');
    expect(files.filter((f) => /\.map$|\.safetensors$|tsbuildinfo|^data\/|^playground\/|^src\//.test(f))).toEqual([]);
  });

  it('passes publint, warnings included', () => {
    expect(execFileSync(bin('publint'), ['run', '--strict', tarball], { encoding: 'utf8', timeout: 120_000 })).toMatch(/All good!/);
  });

  it('passes Are the Types Wrong for every entry and module resolution', () => {
    let report: string;
    try {
      report = execFileSync(bin('attw'), [tarball, '--format', 'json'], { encoding: 'utf8', timeout: 180_000 });
    } catch (error) {
      report = String((error as { stdout?: string }).stdout);
    }
    const { problems, analysis } = JSON.parse(report) as { problems: Record<string, unknown[]>; analysis: { entrypoints: Record<string, unknown> } };
    expect(problems).toEqual({});
    expect(Object.keys(analysis.entrypoints).sort()).toEqual(Object.keys(manifest.exports).sort());
  });

  it('is required from plain CommonJS, root and every subpath, as the same module an import gets', () => {
    const dir = consumerProject('commonjs');
    const script = `
      const root = require('descent');
      const loaded = ${JSON.stringify(subpaths)}.map((name) => [name, Object.keys(require(name)).length]);
      import('descent').then((esm) => console.log(JSON.stringify({ loaded, same: esm.Tensor === root.Tensor, version: require('descent/package.json').version })));
    `;
    writeFileSync(join(dir, 'plain.js'), script);
    const result = JSON.parse(execFileSync(process.execPath, [join(dir, 'plain.js')], { cwd: dir, encoding: 'utf8', timeout: 120_000 })) as { loaded: Array<[string, number]>; same: boolean; version: string };
    expect(result.loaded.map(([name]) => name)).toEqual(subpaths);
    for (const [, exported] of result.loaded) expect(exported).toBeGreaterThan(0);
    expect(result.same).toBe(true);
    expect(result.version).toBe('0.1.0');
  });

  it('compiles with tsc (module node16) to CommonJS and runs', () => {
    const { compiled, result } = compileAndRun(consumerProject('commonjs'));
    expect(compiled).toMatch(/require\("descent"\)/);
    expect(compiled).toMatch(/require\("descent\/tfjs"\)/);
    expectWorkingConsumer(result);
  });

  it('has CommonJS declarations that type-check themselves (no skipLibCheck; all entries but descent/tfjs, whose peer\'s own declarations do not)', () => {
    const dir = consumerProject('commonjs');
    const entries = ['descent', ...subpaths.filter((name) => name !== 'descent/tfjs')];
    writeFileSync(join(dir, 'types.ts'), entries.map((name, i) => `import * as entry${i} from '${name}';\n`).join('') + `export const entries = [${entries.map((_, i) => `entry${i}`).join(', ')}];\n`);
    const flags = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node', join(dir, 'types.ts')];
    try {
      execFileSync(bin('tsc'), flags, { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    } catch (error) {
      throw new Error(`tsc found errors in descent's declarations:\n${String((error as { stdout?: string }).stdout)}`);
    }
  });

  it('compiles with tsc (module node16) to ES modules and runs', () => {
    const { compiled, result } = compileAndRun(consumerProject('module'));
    expect(compiled).toMatch(/from 'descent'/);
    expectWorkingConsumer(result);
  });
});

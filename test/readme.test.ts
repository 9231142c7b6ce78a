/**
 * The README's promise: its example runs as written. The first ```ts block after the
 * "## Example" heading is extracted, `from 'descent'` is pointed at this checkout's source,
 * and the file runs in a child process exactly as a user would run it with tsx.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { optimizerTable } from '../src/optim/table.js';
import { scratchDirs } from './helpers/scratch.js';

const root = resolve(import.meta.dirname, '..');
// Inside node_modules/.cache, so the examples' other imports ('@tensorflow/tfjs') resolve as in a user's project.
const scratchDir = scratchDirs('readme', join(root, 'node_modules', '.cache'));

export function readmeBlock(heading: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "${heading}" section`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match) throw new Error(`README.md's "${heading}" section has no \`\`\`ts block`);
  return match[1]!;
}

/** Writes a README block to a temp file that imports this checkout's source instead of 'descent'. */
function exampleFile(code: string, name: string): string {
  const dir = scratchDir('example');
  const file = join(dir, name);
  // 'descent' and its subpaths ('descent/tfjs') resolve to this checkout's source.
  const entry = (subpath: string | undefined): string => join(root, 'src', subpath ?? '', 'index.js');
  writeFileSync(file, code.replaceAll(/from ['"]descent(?:\/([a-z]+))?['"]/g, (_, subpath: string | undefined) => `from ${JSON.stringify(entry(subpath))}`));
  return file;
}

function runExample(code: string): string {
  return execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [exampleFile(code, 'example.mts')], { encoding: 'utf8', cwd: root, timeout: 120_000 });
}

/** Type-checks README blocks with the project's strict settings: a user's editor must accept them too. */
function typecheck(blocks: string[]): void {
  const files = blocks.map((code, i) => exampleFile(code, `example${i}.mts`));
  const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types')];
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), [...flags, ...files], { encoding: 'utf8', cwd: root, timeout: 180_000 });
}

const TOUR = "## The lecture's optimizers, as PyTorch calls them";
const TFJS = '## Your TensorFlow.js model, trained by descent';
const MUON = '## Muon for the hidden matrices, AdamW for the rest';
const INTEROP = '## Moving between descent and PyTorch';

describe('README', () => {
  it('type-checks every example', () => {
    typecheck([readmeBlock('## Example'), readmeBlock('## A small CNN'), readmeBlock(TOUR), readmeBlock(MUON), readmeBlock(TFJS), readmeBlock('## Schedules'), readmeBlock(INTEROP)]);
  });

  it('lists every optimizer of the registry, with its defaults', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const listed = /<!-- optimizer-table:start -->\n([\s\S]*?)\n<!-- optimizer-table:end -->/.exec(readme);
    expect(listed, 'README.md has no optimizer table').not.toBeNull();
    expect(listed![1]).toBe(optimizerTable());
  });

  it('runs the TensorFlow.js example: the loss of a tfjs model falls under descent\'s AdamW', () => {
    const output = runExample(readmeBlock(TFJS));
    const [, before, after] = /loss ([\d.]+) → ([\d.]+)/.exec(output) ?? [];
    expect(Number(after)).toBeLessThan(Number(before) / 5);
  });

  it('runs the schedules example', () => {
    const output = runExample(readmeBlock('## Schedules'));
    expect(output).toMatch(/SGD: lr now/);
    expect(output).toMatch(/AdamW: lr now 0\.00e\+0/);
  });

  it('runs the example as written: the MLP fits the Iris flowers', () => {
    const output = runExample(readmeBlock('## Example'));
    const accuracy = Number(/training accuracy: ([\d.]+)%/.exec(output)?.[1]);
    expect(accuracy).toBeGreaterThan(90);
  });

  it('runs the CNN example: above 90% test accuracy on the held-out digits', () => {
    const output = runExample(readmeBlock('## A small CNN'));
    const accuracy = Number(/CNN test accuracy: ([\d.]+)%/.exec(output)?.[1]);
    expect(accuracy).toBeGreaterThan(90);
  });

  it('runs the Muon recipe: the loss falls from above 1 to below 0.1, and it prints what the README says', () => {
    const output = runExample(readmeBlock(MUON));
    const before = Number(/loss before: ([\d.]+)/.exec(output)![1]);
    const after = Number(/loss after 100 steps: ([\d.]+)/.exec(output)![1]);
    const accuracy = Number(/training accuracy ([\d.]+)%/.exec(output)![1]);
    expect(before).toBeGreaterThan(1);
    expect(after).toBeLessThan(0.1);
    expect(accuracy).toBeGreaterThanOrEqual(95);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`a loss of ${before.toFixed(3)} before and ${after.toFixed(3)} after the 100 steps, at ${accuracy.toFixed(1)} %`);
  });

  it('runs the optimizer tour (the lecture\'s PyTorch calls in descent)', () => {
    const output = runExample(readmeBlock(TOUR));
    for (const name of ['SGD', 'Adagrad', 'RMSprop', 'Adam', 'AdamW']) expect(output).toContain(name);
  });

  it('runs the PyTorch interop example: files written, read back into fresh objects that step identically', async () => {
    const { mkdtempSync: makeFolder, readdirSync, rmSync } = await import('node:fs');
    const code = readmeBlock(INTEROP);
    const cwd = makeFolder(join((await import('node:os')).tmpdir(), 'descent-readme-interop-'));
    try {
      const output = execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [exampleFile(code, 'interop.ts')], { encoding: 'utf8', cwd, timeout: 120_000 });
      const [, first, last, resumed] = /loss (\d\.\d+) → (\d\.\d+); resumed copy (\d\.\d+)/.exec(output)!;
      expect(Number(last)).toBeLessThan(Number(first) * 0.8);
      expect(resumed).toBe(last);
      expect(readdirSync(cwd).sort()).toEqual(['model.safetensors', 'optimizer.safetensors']);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

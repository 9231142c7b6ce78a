/**
 * The README's promise: its example runs as written. The first ```ts block after the
 * "## Example" heading is extracted, `from 'descent'` is pointed at this checkout's source,
 * and the file runs in a child process exactly as a user would run it with tsx.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { optimizerTable } from '../src/optim/table.js';

const root = resolve(import.meta.dirname, '..');

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
  const dir = mkdtempSync(join(tmpdir(), 'descent-readme-'));
  const file = join(dir, name);
  const entry = join(root, 'src', 'index.js');
  writeFileSync(file, code.replaceAll(/from ['"]descent['"]/g, `from ${JSON.stringify(entry)}`));
  return file;
}

function runExample(code: string): string {
  return execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [exampleFile(code, 'example.ts')], { encoding: 'utf8', cwd: root, timeout: 120_000 });
}

/** Type-checks README blocks with the project's strict settings: a user's editor must accept them too. */
function typecheck(blocks: string[]): void {
  const files = blocks.map((code, i) => exampleFile(code, `example${i}.ts`));
  const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types')];
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), [...flags, ...files], { encoding: 'utf8', cwd: root, timeout: 180_000 });
}

const TOUR = "## The lecture's optimizers, as PyTorch calls them";
const INTEROP = '## Moving between descent and PyTorch';

describe('README', () => {
  it('type-checks every example', () => {
    typecheck([readmeBlock('## Example'), readmeBlock(TOUR), readmeBlock('## Schedules'), readmeBlock(INTEROP)]);
  });

  it('lists every optimizer of the registry, with its defaults', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const listed = /<!-- optimizer-table:start -->\n([\s\S]*?)\n<!-- optimizer-table:end -->/.exec(readme);
    expect(listed, 'README.md has no optimizer table').not.toBeNull();
    expect(listed![1]).toBe(optimizerTable());
  });

  it('runs the schedules example', () => {
    const output = runExample(readmeBlock('## Schedules'));
    expect(output).toMatch(/SGD: lr now/);
    expect(output).toMatch(/AdamW: lr now 0\.00e\+0/);
  });

  it('runs the example as written', () => {
    const output = runExample(readmeBlock('## Example'));
    expect(output).toMatch(/accuracy/i);
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

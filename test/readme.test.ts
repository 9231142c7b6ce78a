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

const root = resolve(import.meta.dirname, '..');

export function readmeBlock(heading: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "${heading}" section`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match) throw new Error(`README.md's "${heading}" section has no \`\`\`ts block`);
  return match[1]!;
}

function runExample(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'descent-readme-'));
  const file = join(dir, 'example.ts');
  const entry = join(root, 'src', 'index.ts');
  writeFileSync(file, code.replaceAll(/from ['"]descent['"]/g, `from ${JSON.stringify(entry)}`));
  return execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [file], { encoding: 'utf8', cwd: root, timeout: 120_000 });
}

describe('README', () => {
  it('runs the example as written', () => {
    const output = runExample(readmeBlock('## Example'));
    expect(output).toMatch(/accuracy/i);
  });

  it('runs the optimizer tour (the lecture\'s PyTorch calls in descent)', () => {
    const output = runExample(readmeBlock('## The lecture\'s optimizers, as PyTorch calls them'));
    for (const name of ['SGD', 'Adagrad', 'RMSprop', 'Adam', 'AdamW']) expect(output).toContain(name);
  });
});

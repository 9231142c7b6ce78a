/**
 * The package root must bundle for the browser: no module reachable from src/index.ts through
 * static imports may import a Node built-in. (Features that touch files reach Node's modules at
 * call time through src/platform/node.ts.) Type-only imports are erased and do not count.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function staticImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /^\s*(import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) specifiers.push(match[2] ?? match[3]!);
  return specifiers;
}

function reachableFrom(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    const imports = staticImports(readFileSync(file, 'utf8'));
    seen.set(file, imports);
    for (const specifier of imports) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier).replace(/\.js$/, '.ts'));
    }
  }
  return seen;
}

describe('the package root', () => {
  it('imports no Node built-in, so it bundles for the browser', () => {
    const graph = reachableFrom(join(root, 'src', 'index.ts'));
    expect(graph.size).toBeGreaterThan(40);
    const offenders = [...graph].flatMap(([file, imports]) =>
      imports.filter((s) => s.startsWith('node:') || ['fs', 'path', 'url', 'crypto', 'os'].includes(s)).map((s) => `${file.slice(root.length + 1)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});

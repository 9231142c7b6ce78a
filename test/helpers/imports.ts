/**
 * The static import graph of a module, for the tests that keep entries free of Node built-ins.
 * Type-only imports are erased and do not count.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function staticImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /^\s*(import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) specifiers.push(match[2] ?? match[3]!);
  return specifiers;
}

/** Every file reachable from `entry` through static relative imports, with its imports. */
export function reachableFrom(entry: string): Map<string, string[]> {
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

/** "file imports node:fs" for every Node built-in reached from `entry`. */
export function nodeBuiltinImports(entry: string, root: string): string[] {
  return [...reachableFrom(entry)].flatMap(([file, imports]) =>
    imports.filter((s) => s.startsWith('node:') || ['fs', 'path', 'url', 'crypto', 'os', 'worker_threads', 'child_process'].includes(s)).map((s) => `${file.slice(root.length + 1)} imports ${s}`),
  );
}

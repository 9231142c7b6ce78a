/**
 * The package root and `descent/race` must bundle for the browser: no module reachable from
 * src/index.ts or src/race/index.ts through static imports may import a Node built-in.
 * (Features that touch files reach Node's modules at call time through src/platform/node.ts;
 * the race receives its datasets from the platform.)
 */
import { describe, it, expect } from 'vitest';
import { join, resolve } from 'node:path';
import { nodeBuiltinImports, reachableFrom } from './helpers/imports.js';

const root = resolve(import.meta.dirname, '..');

describe('the package root', () => {
  it('imports no Node built-in, so it bundles for the browser', () => {
    const entry = join(root, 'src', 'index.ts');
    expect(reachableFrom(entry).size).toBeGreaterThan(40);
    expect(nodeBuiltinImports(entry, root)).toEqual([]);
  });
});

describe('descent/race', () => {
  it('imports no Node built-in, so it runs in a browser Web Worker', () => {
    const entry = join(root, 'src', 'race', 'index.ts');
    const graph = reachableFrom(entry);
    // Every claim file is part of the graph.
    expect([...graph.keys()].filter((f) => f.includes('/race/claims/')).length).toBeGreaterThanOrEqual(13);
    expect(nodeBuiltinImports(entry, root)).toEqual([]);
  });
});

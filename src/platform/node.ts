/**
 * Node's built-in modules, reached at call time through `process.getBuiltinModule` instead of
 * static `node:` imports. The few features that touch files (bundled datasets, checkpoints)
 * stay in the package root, and the root still bundles for the browser: nothing there imports
 * `node:fs` until one of those features actually runs, and then the error says what is missing.
 */
import type * as FsModule from 'node:fs';
import type * as PathModule from 'node:path';
import type * as UrlModule from 'node:url';
import type * as CryptoModule from 'node:crypto';
import type * as ModuleModule from 'node:module';
import type * as WorkerThreadsModule from 'node:worker_threads';
import type * as OsModule from 'node:os';

interface Builtins {
  'node:fs': typeof FsModule;
  'node:path': typeof PathModule;
  'node:url': typeof UrlModule;
  'node:crypto': typeof CryptoModule;
  'node:module': typeof ModuleModule;
  'node:worker_threads': typeof WorkerThreadsModule;
  'node:os': typeof OsModule;
}

/** The built-in module, or undefined outside Node (a browser). */
export function nodeBuiltinIfPresent<K extends keyof Builtins>(name: K): Builtins[K] | undefined {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  return getBuiltinModule?.(name) as Builtins[K] | undefined;
}

/** The built-in module, or an error saying that `feature` needs Node. */
export function nodeBuiltin<K extends keyof Builtins>(name: K, feature: string): Builtins[K] {
  const module = nodeBuiltinIfPresent(name);
  if (module === undefined) {
    throw new Error(`${feature} needs Node.js ≥ 20.19 (it uses ${name}); this runtime does not provide it`);
  }
  return module;
}

/**
 * The race's Node platform: datasets read from the package's data files, and a pool of
 * worker_threads that run trials (each worker loads the datasets once).
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadMnist, loadSpam } from '../data/index.js';
import { workerPool as pool, type RaceDatasets, type TrialPort, type TrialRunner } from '../race/index.js';

/** The bundled datasets, each loaded on first use (split seed 0). */
export function nodeDatasets(): RaceDatasets {
  let mnist: ReturnType<RaceDatasets['mnist']> | null = null;
  let spam: ReturnType<RaceDatasets['spam']> | null = null;
  return {
    mnist: () => (mnist ??= loadMnist({ seed: 0 })),
    spam: () => (spam ??= loadSpam({ seed: 0 })),
  };
}

/** `count` worker_threads running trials; the caller must `close()` it, or they keep the process alive. */
export function workerPool(count: number): TrialRunner {
  return pool(count, () => threadPort(spawnWorker()));
}

/**
 * A worker thread running race-worker. Under vitest (or tsx) the sources are TypeScript: tsx's
 * ESM API is registered in the worker first (by path: eval'd code cannot resolve a bare
 * specifier).
 */
function spawnWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(fileURLToPath(new URL('./race-worker.js', here)));
  const script = new URL('./race-worker.ts', here);
  const packageJson = createRequire(here).resolve('tsx/package.json');
  const api = pathToFileURL(path.join(path.dirname(packageJson), 'dist', 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(code, { eval: true });
}

function threadPort(worker: Worker): TrialPort {
  return {
    post: (task) => worker.postMessage(task),
    onMessage: (handler) => worker.on('message', handler),
    onFailure: (handler) => {
      worker.on('error', handler);
      worker.on('exit', (code) => {
        if (code !== 0) handler(new Error(`a race worker exited with code ${code}`));
      });
    },
    terminate: () => worker.terminate(),
  };
}

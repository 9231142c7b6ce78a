/**
 * The race's Node platform: datasets read from the package's data files, and a pool of
 * worker_threads that run trials (each worker loads the datasets once).
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadMnist, loadSpam } from '../data/index.js';
import type { RaceDatasets, TrialRunner, TrialTask } from '../race/index.js';

/** The bundled datasets, each loaded on first use (split seed 0). */
export function nodeDatasets(): RaceDatasets {
  let mnist: ReturnType<RaceDatasets['mnist']> | null = null;
  let spam: ReturnType<RaceDatasets['spam']> | null = null;
  return {
    mnist: () => (mnist ??= loadMnist({ seed: 0 })),
    spam: () => (spam ??= loadSpam({ seed: 0 })),
  };
}

interface Pending {
  readonly task: TrialTask;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * `count` workers, each taking the next queued trial when it finishes one; `close()` ends them
 * (the caller must, or they keep the process alive). Under vitest (or tsx) the sources are
 * TypeScript: the worker then loads them through tsx's loader.
 */
export function workerPool(count: number): TrialRunner {
  const here = import.meta.url;
  const typescript = here.endsWith('.ts');
  const script = new URL(typescript ? './race-worker.ts' : './race-worker.js', here);
  const queue: Pending[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Pending>();
  const workers: Worker[] = [];
  let failure: Error | null = null;

  const dispatch = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      busy.set(worker, job);
      worker.postMessage(job.task);
    }
  };
  const fail = (error: Error): void => {
    failure ??= error;
    for (const job of [...busy.values(), ...queue.splice(0)]) job.reject(failure);
    busy.clear();
  };
  for (let k = 0; k < count; k++) {
    const worker = typescript ? typescriptWorker(script) : new Worker(fileURLToPath(script));
    worker.on('message', (message: { ok: true; result: unknown } | { ok: false; error: string }) => {
      const job = busy.get(worker);
      busy.delete(worker);
      idle.push(worker);
      if (job) {
        if (message.ok) job.resolve(message.result);
        else job.reject(new Error(message.error));
      }
      dispatch();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0 && failure === null) fail(new Error(`a race worker exited with code ${code}`));
    });
    workers.push(worker);
    idle.push(worker);
  }
  return {
    workers: count,
    run(task) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        queue.push({ task, resolve, reject });
        dispatch();
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** A worker running a TypeScript module: tsx's loader is registered in the worker first. */
function typescriptWorker(script: URL): Worker {
  // tsx's ESM API, by path: the worker's eval'd code cannot resolve a bare specifier.
  const packageJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(path.join(path.dirname(packageJson), 'dist', 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(code, { eval: true });
}

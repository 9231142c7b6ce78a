/**
 * The race's Node platform: datasets read from the package's data files, a pool of
 * worker_threads that run trials (each worker loads the datasets once), and a per-thread CPU
 * clock to measure them with.
 */
import fs from 'node:fs';
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

/**
 * The CPU seconds (user + system) the calling thread has used, from /proc/thread-self/stat on
 * Linux; undefined where that file does not exist. Node 20 has no per-thread CPU clock, and
 * `process.cpuUsage()` counts every thread of the process.
 */
export function threadCpuClock(): (() => number) | undefined {
  const read = (): number => {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  };
  try {
    return Number.isFinite(read()) ? read : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

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

/**
 * The one place where the kernel pool (src/wasm/pool.ts) meets the platform: how many hardware
 * threads there are, how a worker thread is started, and whether the calling thread may block.
 * Node's worker_threads are reached at call time (./node.ts), so browser bundles never import
 * them; a browser gets a Web Worker from a Blob URL. Either way the worker runs `source`, a
 * self-contained script, so no file has to be found next to the library or its bundle.
 */
import { nodeBuiltinIfPresent } from './node.js';

/** What the pool needs of a worker: send it a message (workers live as long as the program). */
export interface ThreadPort {
  post(message: unknown): void;
}

interface BrowserWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
}
interface BrowserGlobals {
  Worker?: new (url: string, options?: { name?: string }) => BrowserWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL?(blob: object): string };
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  document?: unknown;
}

const globals = globalThis as BrowserGlobals;

/** Logical cores: Node's `os.availableParallelism()`, a browser's `navigator.hardwareConcurrency`; 1 when unknown. */
export function hardwareThreads(): number {
  const os = nodeBuiltinIfPresent('node:os');
  const count = os !== undefined ? (os.availableParallelism?.() ?? os.cpus().length) : globals.navigator?.hardwareConcurrency;
  return Number.isInteger(count) && count! >= 1 ? count! : 1;
}

/**
 * Starts a worker thread running the script `source`; `onFailure` hears of an error the
 * script did not catch. Node's workers are unref'd: they never keep a program alive.
 * Returns the reason instead where this runtime cannot start one.
 */
export function spawnThread(source: string, onFailure: (error: Error) => void): ThreadPort | { error: string } {
  const threads = nodeBuiltinIfPresent('node:worker_threads');
  try {
    if (threads !== undefined) {
      // No execArgv: the program's loaders (--import tsx, …) have nothing to do in a kernel worker.
      const worker = new threads.Worker(source, { eval: true, name: 'descent kernels', execArgv: [] });
      worker.unref();
      worker.on('error', onFailure);
      return { post: (message) => worker.postMessage(message) };
    }
    const { Worker, Blob, URL } = globals;
    if (Worker === undefined || Blob === undefined || URL?.createObjectURL === undefined) return { error: 'this runtime has no Web Workers' };
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url, { name: 'descent kernels' });
    worker.addEventListener('error', (event) => onFailure(new Error(event.message ?? 'a kernel worker failed')));
    return { post: (message) => worker.postMessage(message) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Whether this thread may block in `Atomics.wait`. A browser's main thread may not (the page
 * would freeze), so there the pool's caller spins while workers finish their parts.
 */
export function callerMayBlock(): boolean {
  return nodeBuiltinIfPresent('node:worker_threads') !== undefined || globals.document === undefined;
}

/**
 * Why this runtime has no shared memory, or null if it has: a browser page shares memory with
 * its workers only when cross-origin isolated (served with COOP `same-origin` and COEP
 * `require-corp`).
 */
export function sharedMemoryUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    return globals.crossOriginIsolated === false
      ? 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : 'this runtime has no SharedArrayBuffer';
  }
  return null;
}

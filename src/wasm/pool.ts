/**
 * The kernel pool: worker threads that run descent's WebAssembly kernels over the same shared
 * memory as the calling thread, so a matrix product or an optimizer step can use every core.
 *
 * Each worker instantiates the same modules over the same memories (./worker-source.ts) and
 * then waits on its slot of a control block, a SharedArrayBuffer of `SLOT_BYTES` per worker
 * (integer fields, then up to `MAX_ARGS` f64 arguments). A call is cut into parts by the
 * caller (the partition depends only on the shape and the thread count); part 0 runs on the
 * calling thread, part p on worker p − 1 when that worker is ready, else on the calling thread
 * too. The caller writes a worker's arguments, bumps its SEQ and wakes it with `Atomics.notify`,
 * does its own share, then waits for each worker's DONE. No result depends on which thread ran
 * a part, so a worker that is still starting (a browser starts workers only once the page
 * yields to its event loop) or that has not received a new memory yet costs time, not
 * correctness.
 *
 * Hand-off cost: a worker that sleeps in `Atomics.wait` took 40–97 µs (median) to wake and
 * answer on this 2-core virtual machine, one that polls about 2 µs. So a worker polls for
 * `WORKER_SPIN_MS` after each call before it sleeps, and the caller polls for its workers'
 * parts for `CALLER_SPIN_MS`: bounded, so that on a machine with every core busy a poller
 * gives its core back within a millisecond. Callers still keep small work on one thread
 * (`PARALLEL_MIN_*` in ./gemm.ts and ./parallel.ts).
 *
 * Workers are unref'd in Node: a program exits when its own work is done, whatever the pool.
 */
import { callerMayBlock, spawnThread, type ThreadPort } from '../platform/threads.js';
import { MAX_THREADS, noteSingleThread, threads } from './threads.js';
import { ARGS_AT, Field, MAX_ARGS, SLOT_BYTES, WORKER_SOURCE } from './worker-source.js';
import type { WasmMemory, WasmModule } from './loader.js';

const SLOT_INTS = SLOT_BYTES / 4;
/** How long the caller polls for a worker's part before it sleeps: parts of one call end close together. */
const CALLER_SPIN_MS = 0.2;

/** A module instantiated over a shared memory, which workers instantiate too. */
export interface PoolInstance {
  readonly id: number;
  /** The calling thread's exports, by the same index workers use. */
  readonly calls: ReadonlyArray<(...args: number[]) => unknown>;
  readonly names: readonly string[];
}

interface Registered {
  module: WasmModule;
  memory: WasmMemory;
  names: string[];
}

interface Worker {
  port: ThreadPort;
  /** The last command sent. */
  seq: number;
  /** Instances sent so far (ids below this). */
  sent: number;
}

const registered: Registered[] = [];
const workers: Worker[] = [];
let control: SharedArrayBuffer | null = null;
let ints: Int32Array<ArrayBufferLike> = new Int32Array(0);
let args: Float64Array<ArrayBufferLike> = new Float64Array(0);
/** Set when a worker failed outside a call (its script threw): the pool then runs everything on the caller. */
let broken: string | null = null;
const callerBlocks = callerMayBlock();

/** Makes `exports` (from `module` over the shared `memory`) callable on workers; the id says which instance a call runs on. */
export function registerInstance(module: WasmModule, memory: WasmMemory, exports: Record<string, unknown>): PoolInstance {
  const names = Object.keys(exports).filter((name) => typeof exports[name] === 'function');
  const id = registered.length;
  registered.push({ module, memory, names });
  return { id, names, calls: names.map((name) => exports[name] as (...a: number[]) => unknown) };
}

/** The index of export `name` in an instance's calls. */
export function callIndex(instance: PoolInstance, name: string): number {
  const k = instance.names.indexOf(name);
  if (k < 0) throw new Error(`kernel pool: the module has no export '${name}'`);
  return k;
}

/** The workers for `count` threads (count − 1 workers), started if need be; false where none can run. */
function ensureWorkers(count: number): boolean {
  if (broken !== null) return false;
  const wanted = Math.min(count, MAX_THREADS) - 1;
  if (workers.length >= wanted) return true;
  if (control === null) {
    control = new SharedArrayBuffer(SLOT_BYTES * (MAX_THREADS - 1));
    ints = new Int32Array(control);
    args = new Float64Array(control);
  }
  while (workers.length < wanted) {
    const slot = workers.length;
    const port = spawnThread(WORKER_SOURCE, (error) => {
      broken ??= `a kernel worker failed: ${error.message}`;
      noteSingleThread(broken);
    });
    if ('error' in port) {
      noteSingleThread(`no worker thread could be started: ${port.error}`);
      return workers.length > 0;
    }
    const worker: Worker = { port, seq: 0, sent: registered.length };
    port.post({ control, slot, instances: registered.map((r, id) => ({ id, ...r })) });
    workers.push(worker);
  }
  return true;
}

/** Whether worker `w` waits for a command and holds instance `id`; sends it instances it lacks when it can take them. */
function ready(w: number, id: number): boolean {
  const worker = workers[w]!;
  const base = w * SLOT_INTS;
  if (Atomics.load(ints, base + Field.State) !== 1 || Atomics.load(ints, base + Field.Done) !== worker.seq || ints[base + Field.Failed] !== 0) return false;
  if (worker.sent < registered.length) {
    // It learns of a new memory in its event loop: send the instances, then call it back there.
    worker.port.post({ instances: registered.slice(worker.sent).map((r, k) => ({ id: worker.sent + k, ...r })) });
    worker.sent = registered.length;
    command(w, -1, -1, 0);
    return false;
  }
  return Atomics.load(ints, base + Field.Instances) > id;
}

function command(w: number, instance: number, fn: number, argc: number): void {
  const worker = workers[w]!;
  const base = w * SLOT_INTS;
  ints[base + Field.Instance] = instance;
  ints[base + Field.Fn] = fn;
  ints[base + Field.Argc] = argc;
  worker.seq = (worker.seq + 1) | 0;
  Atomics.store(ints, base + Field.Seq, worker.seq);
  Atomics.notify(ints, base + Field.Seq, 1);
}

function awaitDone(w: number): void {
  const seq = workers[w]!.seq;
  const at = w * SLOT_INTS + Field.Done;
  let polls = 0;
  let until = 0;
  for (let done = Atomics.load(ints, at); done !== seq; done = Atomics.load(ints, at)) {
    if (!callerBlocks || (++polls & 255) !== 0) continue;
    if (until === 0) until = performance.now() + CALLER_SPIN_MS;
    else if (performance.now() > until) Atomics.wait(ints, at, done);
  }
}

/** Parts run by workers since the program started (tests see that work really left the calling thread). */
let partsOnWorkers = 0;

/** Arguments of the calling thread's parts, reused. */
const local = new Float64Array(MAX_ARGS);
/** Which parts went to which worker in the current call: −1 for the calling thread. */
const assigned = new Int32Array(MAX_THREADS);

/**
 * Runs export `fn` of `instance` once per part, parts 0 … parts − 1, in parallel where workers
 * are ready. `write(part, out, at)` writes part's arguments into `out` from index `at` and
 * returns how many it wrote; parts must touch disjoint memory. Returns once every part is done.
 */
export function runParts(instance: PoolInstance, fn: number, parts: number, write: (part: number, out: Float64Array, at: number) => number): void {
  const call = instance.calls[fn]!;
  const pooled = parts > 1 && ensureWorkers(parts);
  for (let part = 1; part < parts; part++) {
    const w = part - 1;
    if (!pooled || w >= workers.length || !ready(w, instance.id)) {
      assigned[part] = -1;
      continue;
    }
    const argc = write(part, args, (w * SLOT_BYTES + ARGS_AT) / 8);
    if (argc > MAX_ARGS) throw new RangeError(`kernel pool: ${argc} arguments, more than a slot holds (${MAX_ARGS})`);
    assigned[part] = w;
    partsOnWorkers++;
    command(w, instance.id, fn, argc);
  }
  for (let part = 0; part < parts; part++) {
    if (part > 0 && assigned[part] !== -1) continue;
    const argc = write(part, local, 0);
    call.apply(null, local.subarray(0, argc) as unknown as number[]);
  }
  let failed = false;
  for (let part = 1; part < parts; part++) {
    const w = assigned[part]!;
    if (w < 0) continue;
    awaitDone(w);
    if (ints[w * SLOT_INTS + Field.Failed] === 1) failed = true;
  }
  if (failed) throw new Error(`kernel pool: ${instance.names[fn]} failed on a worker thread`);
}

/** What `kernelReport()` says of the pool. */
export interface PoolReport {
  /** Worker threads started so far, and how many of them serve calls now. */
  workers: number;
  serving: number;
  /** Parts of kernel calls that workers ran so far. */
  partsOnWorkers: number;
}

export function poolReport(): PoolReport {
  let serving = 0;
  for (let w = 0; w < workers.length; w++) if (Atomics.load(ints, w * SLOT_INTS + Field.State) === 1) serving++;
  return { workers: workers.length, serving, partsOnWorkers };
}

/**
 * Resolves once the workers for `count` threads serve calls, starting them if need be (they
 * start asynchronously: a browser's only once the page yields to its event loop); rejects,
 * saying how many serve, after `timeoutMs`, or at once where no worker can run.
 */
export async function workersServing(count: number, timeoutMs = 20_000): Promise<void> {
  if (count <= 1) return;
  if (!ensureWorkers(count)) throw new Error(`kernel pool: no worker thread can run here${broken === null ? '' : ` (${broken})`}`);
  const wanted = Math.min(count, MAX_THREADS) - 1;
  const until = performance.now() + timeoutMs;
  while (poolReport().serving < wanted) {
    if (performance.now() > until) throw new Error(`kernel pool: only ${poolReport().serving} of ${wanted} kernel workers started in ${timeoutMs / 1000} s`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * Starts the workers for the current thread count now, rather than at the first large call
 * (a browser page calls this early: its workers start only once it yields to the event loop).
 */
export function startThreads(): boolean {
  return ensureWorkers(threads());
}

/**
 * How many threads descent's kernels use: `setThreads(n)`, the environment variable
 * `DESCENT_THREADS`, or by default every core (`os.availableParallelism()` in Node,
 * `navigator.hardwareConcurrency` in a browser). The count asked for is what the pool
 * (./pool.ts) partitions work by; `threads()` is the count in force, which is 1 where the
 * runtime has no shared memory or cannot start workers (then a notice says so, once).
 *
 * The count never changes a result: every parallel kernel splits its work by a partition that
 * depends only on the shape and the count, and each element is computed by the same sequence
 * of operations whatever thread runs it (tested at 1, 2 and 3 threads).
 */
import { hardwareThreads, sharedMemoryUnavailable } from '../platform/threads.js';

/** The most threads descent runs: the size of the pool's control block (./pool.ts). */
export const MAX_THREADS = 64;

function checkCount(value: unknown, source: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${source}: the thread count must be a positive integer, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  if (value > MAX_THREADS) throw new RangeError(`${source}: ${value} threads is more than descent runs (at most ${MAX_THREADS})`);
  return value;
}

function fromEnvironment(): { count: number; source: string } {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const text = env?.DESCENT_THREADS;
  if (text === undefined || text.trim() === '') return { count: Math.min(hardwareThreads(), MAX_THREADS), source: 'the default: every core' };
  const trimmed = text.trim();
  // Number('') and Number(' 2 ') would pass: only plain decimal integers are counts.
  const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  return { count: checkCount(value, 'DESCENT_THREADS'), source: 'DESCENT_THREADS' };
}

let requested: { count: number; source: string } | null = null;
/** Why the pool cannot run more than one thread here, once that is known (./pool.ts sets it). */
let unavailable: string | null = null;
/** Whether the runtime was asked for shared memory yet (once, when more than one thread is first wanted). */
let runtimeChecked = false;

function current(): { count: number; source: string } {
  requested ??= fromEnvironment();
  return requested;
}

/**
 * Runs descent's kernels on `count` threads from now on (the calling thread and count − 1
 * workers). A RangeError names a count that is not a positive integer or exceeds `MAX_THREADS`.
 */
export function setThreads(count: number): void {
  requested = { count: checkCount(count, 'setThreads'), source: 'setThreads' };
}

/** The thread count in force: the one asked for, or 1 where this runtime cannot share memory with workers. */
export function threads(): number {
  if (!runtimeChecked && current().count > 1) {
    runtimeChecked = true;
    const noShared = sharedMemoryUnavailable();
    if (noShared !== null) noteSingleThread(noShared);
  }
  return unavailable === null ? current().count : 1;
}

/** The count asked for and where it came from, whether or not the runtime can honour it. */
export function requestedThreads(): { count: number; source: string } {
  return { ...current() };
}

/** Records why more than one thread cannot run here; warns once. */
export function noteSingleThread(reason: string): void {
  if (unavailable !== null) return;
  unavailable = reason;
  if (current().count === 1) return;
  const message = `descent: kernels run on one thread: ${reason} (kernelReport() says why)`;
  const process = (globalThis as { process?: { emitWarning?: (message: string, type: string) => void } }).process;
  if (typeof process?.emitWarning === 'function') process.emitWarning(message, 'DescentThreads');
  else console.warn(message);
}

/** Why the kernels run on one thread although more were asked for; null when they are not held back. */
export function singleThreadReason(): string | null {
  return unavailable;
}

/** Runs `fn` with `count` threads, then restores the count before (tests, benchmarks). */
export function withThreads<T>(count: number, fn: () => T): T {
  const previous = current();
  setThreads(count);
  try {
    return fn();
  } finally {
    requested = previous;
  }
}

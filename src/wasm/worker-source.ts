/**
 * The script a kernel worker runs (Node worker_threads and browser Web Workers alike), as
 * text: the pool (./pool.ts) starts it from a string, so no file has to be found beside the
 * library or inside a bundle, and it imports nothing of descent.
 *
 * A worker receives the WebAssembly modules and the shared memories they run over, instantiates
 * each, and then serves calls through its slot of the control block until told to return to
 * its event loop (to receive another memory):
 *
 *   loop:  wait until SEQ ≠ the last command seen
 *          FN < 0: STATE = 0, DONE = SEQ, return to the event loop
 *          else: call export FN of instance INSTANCE with the ARGC numbers at the slot's
 *                arguments; FAILED = 1 if it threw; DONE = SEQ (and wake the caller)
 *
 * The field offsets are `Field` below, `SLOT_INTS` the same, and the script's `ARGS_AT` is
 * `ARGS_AT / 8` (it indexes the slot as f64s).
 */
export const SLOT_BYTES = 384;
/**
 * How long a worker polls for its next command after a call before it sleeps in `Atomics.wait`.
 * Woken from sleep, a worker answered a call in 40–97 µs (median) on this 2-core virtual
 * machine; polling, in about 2 µs. A training step's products and optimizer step come a few
 * hundred microseconds apart, so the worker stays awake through a step and sleeps between
 * bursts, as OpenMP's threads do.
 */
export const WORKER_SPIN_MS = 0.5;
/** Byte offset of the f64 arguments inside a slot. */
export const ARGS_AT = 64;
export const MAX_ARGS = (SLOT_BYTES - ARGS_AT) / 8;

/** Int32 fields of a slot. */
export const Field = {
  /** The caller's command counter: a new value is a new command. */
  Seq: 0,
  /** The last command the worker finished. */
  Done: 1,
  /** 1 while the worker serves calls, 0 while it is away in its event loop. */
  State: 2,
  /** How many instances the worker holds (ids 0 … n − 1). */
  Instances: 3,
  Instance: 4,
  /** Export to call, by its index in the instance's names; −1: return to the event loop. */
  Fn: 5,
  Argc: 6,
  /** 1: a call threw; 2: an instance could not be made. */
  Failed: 7,
} as const;

export const WORKER_SOURCE = `'use strict';
const SLOT_INTS = ${SLOT_BYTES / 4}, ARGS_AT = ${ARGS_AT / 8}, SPIN_MS = ${WORKER_SPIN_MS};
const SEQ = ${Field.Seq}, DONE = ${Field.Done}, STATE = ${Field.State}, INSTANCES = ${Field.Instances}, INSTANCE = ${Field.Instance}, FN = ${Field.Fn}, ARGC = ${Field.Argc}, FAILED = ${Field.Failed};
const node = typeof self === 'undefined';
let ints = null, args = null, base = 0, argBase = 0, seen = 0;
const calls = [];

function serve() {
  Atomics.store(ints, base + STATE, 1);
  for (;;) {
    let seq = Atomics.load(ints, base + SEQ);
    if (seq === seen) {
      // Poll for a while before sleeping: the next call of a training step usually comes within it.
      const until = performance.now() + SPIN_MS;
      for (let polls = 1; (seq = Atomics.load(ints, base + SEQ)) === seen; polls++) {
        if ((polls & 255) === 0 && performance.now() > until) break;
      }
      while ((seq = Atomics.load(ints, base + SEQ)) === seen) Atomics.wait(ints, base + SEQ, seen);
    }
    seen = seq;
    const fn = ints[base + FN];
    if (fn < 0) {
      Atomics.store(ints, base + STATE, 0);
      Atomics.store(ints, base + DONE, seq);
      Atomics.notify(ints, base + DONE);
      return;
    }
    try {
      calls[ints[base + INSTANCE]][fn].apply(null, args.subarray(argBase, argBase + ints[base + ARGC]));
    } catch (error) {
      Atomics.store(ints, base + FAILED, 1);
    }
    Atomics.store(ints, base + DONE, seq);
    Atomics.notify(ints, base + DONE);
  }
}

function receive(message) {
  if (message.control !== undefined) {
    ints = new Int32Array(message.control);
    args = new Float64Array(message.control);
    base = message.slot * SLOT_INTS;
    argBase = message.slot * (SLOT_INTS / 2) + ARGS_AT;
    seen = Atomics.load(ints, base + SEQ);
  }
  try {
    for (const made of message.instances) {
      const exports = new WebAssembly.Instance(made.module, { env: { memory: made.memory } }).exports;
      calls[made.id] = made.names.map((name) => exports[name]);
    }
  } catch (error) {
    Atomics.store(ints, base + FAILED, 2);
    return;
  }
  Atomics.store(ints, base + INSTANCES, calls.length);
  serve();
}

// getBuiltinModule, not require: the script runs as a module when the program runs with --input-type=module.
if (node) process.getBuiltinModule('node:worker_threads').parentPort.on('message', receive);
else self.onmessage = (event) => receive(event.data);
`;

/**
 * Checkpoints: everything a training run needs to continue bit-identically — model weights,
 * optimizer state, scheduler state, random generator states and the loop's own state — in one
 * file that is written atomically and verified when read.
 *
 * File layout (UTF-8):
 *
 *   {"format":"descent-checkpoint","version":1,"bytes":N,"sha256":"<hex>"}\n
 *   <payload: N bytes of JSON>
 *
 * The SHA-256 covers the payload bytes, so a truncated or altered file is refused before any
 * of it is parsed. Numbers JSON cannot spell (−0, NaN, ±Infinity) are written as the strings
 * "-0", "NaN", "Infinity", "-Infinity" and read back as numbers, so weights and moments round-
 * trip to the bit. Writes go to a temporary file in the same folder, are fsync'ed, then renamed
 * over the target: a crash leaves the old checkpoint or the new one, never half of one.
 */
import { nodeBuiltin } from '../platform/node.js';
import { writeFileAtomic } from '../platform/files.js';
import { parseExact, stringifyExact } from '../io/json.js';
import { Generator, type GeneratorState } from '../tensor/random.js';
import type { Scheduler, SchedulerStateDict } from '../schedulers/scheduler.js';

export const CHECKPOINT_FORMAT = 'descent-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A checkpoint that cannot be used: unreadable, corrupted, or written for other objects. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

function sha256(bytes: Uint8Array): string {
  return nodeBuiltin('node:crypto', 'checkpoints').createHash('sha256').update(bytes).digest('hex');
}

/** The file's bytes for a payload: header line, then the payload JSON. */
export function encodeCheckpoint(payload: unknown): Buffer {
  const body = Buffer.from(stringifyExact(payload), 'utf8');
  const header = JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, bytes: body.length, sha256: sha256(body) });
  return Buffer.concat([Buffer.from(header + '\n', 'utf8'), body]);
}

/** Verifies a checkpoint file's bytes and returns its payload; throws CheckpointError naming the problem. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): unknown {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const newline = buffer.indexOf(0x0a);
  if (newline < 0) throw new CheckpointError(`${source}: not a descent checkpoint (no header line)`);
  let header: { format?: unknown; version?: unknown; bytes?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(buffer.subarray(0, newline).toString('utf8'));
  } catch {
    throw new CheckpointError(`${source}: not a descent checkpoint (the header line is not JSON)`);
  }
  if (header?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${source}: not a descent checkpoint (format ${JSON.stringify(header?.format)})`);
  if (header.version !== CHECKPOINT_VERSION) throw new CheckpointError(`${source}: checkpoint version ${String(header.version)} is not supported (expected ${CHECKPOINT_VERSION})`);
  const body = buffer.subarray(newline + 1);
  if (body.length !== header.bytes) {
    throw new CheckpointError(`${source}: the payload has ${body.length} bytes but the header says ${String(header.bytes)} (truncated or appended to)`);
  }
  const digest = sha256(body);
  if (digest !== header.sha256) throw new CheckpointError(`${source}: checksum mismatch (SHA-256 ${digest}, header says ${String(header.sha256)}): the file is corrupted`);
  try {
    return parseExact(body.toString('utf8'));
  } catch (error) {
    throw new CheckpointError(`${source}: the payload is not valid JSON (${(error as Error).message})`);
  }
}

export function saveCheckpoint(path: string, payload: unknown): void {
  writeFileAtomic(path, encodeCheckpoint(payload));
}

export function loadCheckpoint(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = nodeBuiltin('node:fs', 'checkpoints').readFileSync(path);
  } catch (error) {
    throw new CheckpointError(`checkpoint ${path}: cannot be read (${(error as Error).message})`);
  }
  return decodeCheckpoint(bytes, `checkpoint ${path}`);
}

// ---------------------------------------------------------------------------------------------
// Capturing and restoring a training run

/** The model surface checkpoints need (descent's Module). */
export interface CheckpointModel {
  stateDict(): Record<string, { shape: number[]; data: number[] }>;
  loadStateDict(state: Record<string, { shape: number[]; data: number[] }>): unknown;
}

/** The optimizer surface checkpoints need (descent's Optimizer). */
export interface CheckpointOptimizer {
  readonly name?: string;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface TrainingObjects {
  model: CheckpointModel;
  optimizer: CheckpointOptimizer;
  scheduler?: Scheduler | null;
  /** Every random stream the run draws from (the default generator, the loader's). */
  generators?: readonly Generator[];
}

export interface TrainingCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** Epochs completed. */
  epoch: number;
  model: Record<string, { shape: number[]; data: number[] }>;
  optimizer: { name: string; state: unknown };
  scheduler: SchedulerStateDict | null;
  generators: GeneratorState[];
  /** The training loop's own state (history, early stopping). */
  loop?: unknown;
}

export function captureTraining(objects: TrainingObjects, epoch: number, loop?: unknown): TrainingCheckpoint {
  return {
    format: CHECKPOINT_FORMAT,
    epoch,
    model: objects.model.stateDict(),
    optimizer: { name: objects.optimizer.name ?? objects.optimizer.constructor.name, state: objects.optimizer.stateDict() },
    scheduler: objects.scheduler ? objects.scheduler.stateDict() : null,
    generators: (objects.generators ?? []).map((g) => g.getState()),
    ...(loop === undefined ? {} : { loop }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Puts a captured state back into the objects. Everything that can be checked is checked
 * first; if the model or optimizer then refuses its part, what was already loaded is rolled
 * back, so a refused checkpoint changes nothing.
 */
export function restoreTraining(checkpoint: unknown, objects: TrainingObjects, source = 'checkpoint'): TrainingCheckpoint {
  const fail = (message: string): never => {
    throw new CheckpointError(`${source}: ${message}`);
  };
  if (!isObject(checkpoint) || checkpoint.format !== CHECKPOINT_FORMAT) fail('not a training checkpoint');
  const cp = checkpoint as unknown as TrainingCheckpoint;
  if (!Number.isInteger(cp.epoch) || cp.epoch < 0) fail(`epoch must be an integer ≥ 0, got ${String(cp.epoch)}`);
  if (!isObject(cp.model)) fail('the model state is missing');
  if (!isObject(cp.optimizer) || typeof cp.optimizer.name !== 'string') fail('the optimizer state is missing');
  const optimizerName = objects.optimizer.name ?? objects.optimizer.constructor.name;
  if (cp.optimizer.name !== optimizerName) fail(`it holds ${cp.optimizer.name} optimizer state, but the optimizer is ${optimizerName}`);

  const scheduler = objects.scheduler ?? null;
  if ((cp.scheduler === null) !== (scheduler === null)) {
    fail(cp.scheduler === null ? `it has no scheduler state, but a ${scheduler!.kind} scheduler was given` : `it has a ${String(cp.scheduler.kind)} scheduler state, but no scheduler was given`);
  }
  let applyScheduler = (): void => {};
  if (scheduler !== null) {
    try {
      applyScheduler = scheduler.prepareStateDict(cp.scheduler!);
    } catch (error) {
      fail((error as Error).message);
    }
  }

  const generators = objects.generators ?? [];
  if (!Array.isArray(cp.generators) || cp.generators.length !== generators.length) {
    fail(`it holds ${Array.isArray(cp.generators) ? cp.generators.length : 'no'} generator states, but ${generators.length} generators were given`);
  }
  cp.generators.forEach((state, i) => {
    try {
      new Generator().setState(state);
    } catch (error) {
      fail(`generator state ${i}: ${(error as Error).message}`);
    }
  });

  const modelBefore = objects.model.stateDict();
  try {
    objects.model.loadStateDict(cp.model);
  } catch (error) {
    fail(`the model does not match: ${(error as Error).message}`);
  }
  try {
    objects.optimizer.loadStateDict(cp.optimizer.state as never);
  } catch (error) {
    objects.model.loadStateDict(modelBefore);
    fail(`the optimizer does not match: ${(error as Error).message}`);
  }
  applyScheduler();
  generators.forEach((g, i) => g.setState(cp.generators[i]!));
  return cp;
}

/**
 * Checkpoints: everything a training run needs to continue bit-identically — model weights,
 * optimizer state, scheduler state, random generator states and the loop's own state — in one
 * file that is written atomically and verified when read.
 *
 * The file is a sealed safetensors file (src/io/safetensors.ts): every tensor of the checkpoint
 * is stored as raw little-endian floats under its path (`model.fc1.weight`,
 * `optimizer.state.state.0.exp_avg`, ...), and `__metadata__` holds
 *
 *   format     "descent-checkpoint"
 *   version    "2"
 *   checkpoint the rest as JSON, each tensor replaced by { "tensor": <its name> }
 *   sha256     the seal: a SHA-256 over the header's canonical form and the data
 *
 * so a truncated or altered file is refused before any of it is used, and Python's safetensors
 * library opens it too. Numbers JSON cannot spell (−0, NaN, ±Infinity) are written as strings
 * and read back as numbers (src/io/json.ts); tensors are float32 unless a value needs float64,
 * so weights and moments round-trip to the bit. `encodeCheckpoint` and `decodeCheckpoint` work on
 * bytes (in a browser too); `saveCheckpoint` writes to a temporary file in the same folder,
 * fsyncs it and renames it over the target, so a crash leaves the old checkpoint or the new one.
 *
 * Version 1 files (a JSON header line with the payload's size and SHA-256, then the payload as
 * JSON) still load.
 */
import { readFilePrefix, readSafetensorsFile, writeFileAtomic } from '../platform/files.js';
import { parseExact, stringifyExact } from '../io/json.js';
import { sha256 } from '../io/sha256.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsFile, type TensorInput } from '../io/safetensors.js';
import { floatArray, joinTensors, splitTensors } from '../io/tensor-json.js';
import type { TensorJSON } from '../optim/optimizer.js';
import { Generator, type GeneratorState } from '../tensor/random.js';
import type { Scheduler, SchedulerStateDict } from '../schedulers/scheduler.js';

export const CHECKPOINT_FORMAT = 'descent-checkpoint';
export const CHECKPOINT_VERSION = 2;

/** A checkpoint that cannot be used: unreadable, corrupted, or written for other objects. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The file's bytes for a payload: a JSON object whose tensors (`{ shape, data }`) become file tensors. */
export function encodeCheckpoint(payload: unknown): Uint8Array {
  if (!isObject(payload)) throw new CheckpointError(`encodeCheckpoint: the payload must be an object, got ${payload === null ? 'null' : typeof payload}`);
  const tensors: Array<[string, TensorInput]> = [];
  const skeleton = Object.fromEntries(
    Object.entries(payload).map(([key, value]) => [key, splitTensors(value, key, (name, t) => tensors.push([name, { shape: t.shape, data: floatArray(t.data) }]))]),
  );
  const metadata = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), checkpoint: stringifyExact(skeleton) };
  return encodeSafetensors(tensors, metadata, { seal: true });
}

/** Verifies a checkpoint file's bytes (either version) and returns its payload; throws CheckpointError naming the problem. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): unknown {
  if (isVersion1(bytes)) return decodeVersion1(bytes, source);
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(bytes, source, { sealed: true });
  } catch (error) {
    throw error instanceof SafetensorsError ? new CheckpointError(error.message) : error;
  }
  return payloadOf(file, source);
}

function payloadOf(file: SafetensorsFile, source: string): unknown {
  const { format, version, checkpoint } = file.metadata;
  if (format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${source}: not a descent checkpoint (format ${JSON.stringify(format)})`);
  if (version !== String(CHECKPOINT_VERSION)) throw new CheckpointError(`${source}: checkpoint version ${String(version)} is not supported (expected 1 or ${CHECKPOINT_VERSION})`);
  let skeleton: unknown;
  try {
    skeleton = parseExact(checkpoint ?? '');
  } catch (error) {
    throw new CheckpointError(`${source}: __metadata__.checkpoint is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(skeleton)) throw new CheckpointError(`${source}: __metadata__.checkpoint is not a JSON object`);
  const tensors = new Map<string, TensorJSON>([...file.tensors].map(([name, t]) => [name, { shape: [...t.shape], data: Array.from(t.data) }]));
  let payload: unknown;
  try {
    payload = joinTensors(skeleton, tensors, 'checkpoint');
  } catch (error) {
    throw new CheckpointError(`${source}: ${(error as Error).message}`);
  }
  if (tensors.size > 0) throw new CheckpointError(`${source}: tensor(s) ${[...tensors.keys()].join(', ')} belong to nothing in the checkpoint`);
  return payload;
}

// Version 1: {"format":"descent-checkpoint","version":1,"bytes":N,"sha256":"<hex>"}\n, then N bytes of JSON.
const VERSION_1_START = new TextEncoder().encode('{"format":"descent-checkpoint","version":1,');
const MAX_VERSION_1_HEADER = 4096;

function isVersion1(bytes: Uint8Array): boolean {
  return bytes.length >= VERSION_1_START.length && VERSION_1_START.every((b, i) => bytes[i] === b);
}

/** The header line of a version 1 file and where its payload starts, checked against the file's size. */
function version1Header(prefix: Uint8Array, fileBytes: number, source: string): { bodyStart: number; sha256: unknown } {
  const newline = prefix.subarray(0, MAX_VERSION_1_HEADER).indexOf(0x0a);
  if (newline < 0) throw new CheckpointError(`${source}: not a descent checkpoint (no header line)`);
  let header: { format?: unknown; version?: unknown; bytes?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(prefix.subarray(0, newline)));
  } catch {
    throw new CheckpointError(`${source}: not a descent checkpoint (the header line is not JSON)`);
  }
  const body = fileBytes - newline - 1;
  if (body !== header.bytes) throw new CheckpointError(`${source}: the payload has ${body} bytes but the header says ${String(header.bytes)} (truncated or appended to)`);
  return { bodyStart: newline + 1, sha256: header.sha256 };
}

function decodeVersion1(bytes: Uint8Array, source: string): unknown {
  const { bodyStart, sha256: expected } = version1Header(bytes, bytes.length, source);
  const body = bytes.subarray(bodyStart);
  const digest = sha256().update(body).hex();
  if (digest !== expected) throw new CheckpointError(`${source}: checksum mismatch (SHA-256 ${digest}, header says ${String(expected)}): the file is corrupted`);
  try {
    return parseExact(new TextDecoder().decode(body));
  } catch (error) {
    // The engine's parser gives up on deep nesting with a stack overflow (a RangeError).
    if (error instanceof RangeError) throw new CheckpointError(`${source}: the payload is nested too deeply to be a training checkpoint`);
    throw new CheckpointError(`${source}: the payload is not valid JSON (${(error as Error).message})`);
  }
}

export function saveCheckpoint(path: string, payload: unknown): void {
  writeFileAtomic(path, encodeCheckpoint(payload));
}

/**
 * Reads and verifies a checkpoint file. The header comes first, so a file that lies about its
 * size is refused after a few bytes; only then is the rest read.
 */
export function loadCheckpoint(path: string): unknown {
  const source = `checkpoint ${path}`;
  try {
    const { bytes: prefix, size } = readFilePrefix(path, MAX_VERSION_1_HEADER);
    if (isVersion1(prefix)) {
      version1Header(prefix, size, source);
      return decodeVersion1(readFilePrefix(path, size).bytes, source);
    }
    return payloadOf(readSafetensorsFile(path, { label: source, sealed: true }), source);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    if (error instanceof SafetensorsError) throw new CheckpointError(error.message);
    throw new CheckpointError(`${source}: cannot be read (${(error as Error).message})`);
  }
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

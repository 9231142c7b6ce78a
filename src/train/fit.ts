/**
 * `fit`: the training loop, with the parts every script rewrites — per-epoch metrics,
 * validation, schedulers, early stopping, progress, checkpoints and exact resume.
 *
 * ```text
 * for epoch = 1 … epochs:
 *     model.train()
 *     for (input, target) in train:
 *         zero grads;  loss ← lossFn(model(input), target);  backward;  optimizer.step()
 *         scheduler.step()                              if schedulerStep = 'batch'
 *     model.eval(); evaluate loss and metrics on validation (no graph)
 *     scheduler.step() or scheduler.step(monitored)    if schedulerStep = 'epoch'
 *     callbacks.onEpochEnd(log); early stopping; checkpoint every `every` epochs
 * ```
 *
 * Batches are `[input, target, ...]` arrays, as a `DataLoader` over a `TensorDataset(x, y)`
 * yields them. Logged values are means over samples: `loss`, each metric by its name, and with
 * validation `valLoss`, `valAccuracy`, ….
 *
 * Resume is bit-identical: a checkpoint holds the weights, the optimizer and scheduler states,
 * every random stream the run draws from (the default generator, the loaders' generators and
 * any in `generators`) and the loop's own state, so 2 epochs + resume 2 epochs ends on the
 * same bytes as 4 epochs straight.
 */
import { nodeBuiltin } from '../platform/node.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator, defaultGenerator } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import type { Module } from '../nn/module.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { makeFolder, removeOrphanTemporaries } from '../platform/files.js';
import { captureTraining, loadCheckpoint, restoreTraining, saveCheckpoint, CheckpointError, type CheckpointOptimizer } from './checkpoint.js';
import { Progress, type ProgressMode, type ProgressStream } from './progress.js';

/** The optimizer surface `fit` needs (descent's Optimizer). */
export interface FitOptimizer extends CheckpointOptimizer {
  readonly paramGroups: readonly { lr: number }[];
  step(): unknown;
  zeroGrad(): void;
}

/** A source of batches: a DataLoader, or any iterable of `[input, target]` arrays. */
export interface BatchSource {
  [Symbol.iterator](): Iterator<readonly unknown[]>;
  /** Batches per pass, when known (for the progress bar). */
  readonly length?: number;
  /** The loader's shuffling stream, checkpointed with the run. */
  readonly generator?: Generator;
}

export type LossFn = (output: Tensor, target: never) => Tensor;
export type MetricFn = (output: Tensor, target: never) => number;

export interface EarlyStoppingOptions {
  /** The logged value to watch. Default 'valLoss' with validation data, else 'loss'. */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 5. */
  patience?: number;
  /** 'min' for losses, 'max' for accuracies. Default 'min'. */
  mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
}

export interface EpochLog {
  /** 1-based epoch number. */
  epoch: number;
  /** Each group's lr during the epoch's last batch. */
  lr: number[];
  /** Logged means: loss, metrics, valLoss, val<Metric>. */
  values: Record<string, number>;
  seconds: number;
}

export interface FitCallbacks {
  /** After each epoch; return 'stop' to end training. */
  onEpochEnd?: (log: EpochLog) => void | 'stop' | Promise<void | 'stop'>;
  onBatchEnd?: (info: { epoch: number; batch: number; loss: number }) => void;
  earlyStopping?: EarlyStoppingOptions;
}

export interface CheckpointOptions {
  /**
   * Folder for `checkpoint-<epoch>.safetensors` files, created if missing and checked before
   * training starts. Temporary files that an interrupted run left there are removed.
   */
  dir: string;
  /** Write one every this many epochs (and after the last). Default 1. */
  every?: number;
  /** How many checkpoints to keep in the folder, the newest (Infinity keeps all). Default 3. */
  keepLast?: number;
}

const DEFAULT_KEEP_LAST = 3;

/** `checkpoint-0004.safetensors`, or `checkpoint-0004.json` as version 1 wrote them. */
const CHECKPOINT_FILE = /^checkpoint-(\d+)\.(safetensors|json)$/;

export interface FitOptions {
  optimizer: FitOptimizer;
  scheduler?: Scheduler;
  /** Step the scheduler after every batch or every epoch. Default 'epoch'. */
  schedulerStep?: 'epoch' | 'batch';
  /** The value a metric-driven scheduler (ReduceLROnPlateau) reads. Default as earlyStopping's monitor. */
  schedulerMonitor?: string;
  train: BatchSource;
  validation?: BatchSource;
  /** Total epochs (a resumed run continues up to this count). */
  epochs: number;
  lossFn: LossFn;
  /** Named metrics (output, target) ↦ number, averaged over samples. */
  metrics?: Record<string, MetricFn>;
  callbacks?: FitCallbacks;
  /** 'auto': a bar on a TTY, lines otherwise. Default 'auto'. */
  progress?: ProgressMode;
  /** Where progress goes. Default process.stderr. */
  progressStream?: ProgressStream;
  checkpoint?: CheckpointOptions;
  /** A checkpoint file (or a folder of them: the latest is used) to continue from. */
  resume?: string;
  /** Further random streams the model draws from (a Dropout's own generator), to checkpoint. */
  generators?: readonly Generator[];
}

export interface FitResult {
  history: EpochLog[];
  /** Epochs completed in total (including those before a resume). */
  epochs: number;
  stoppedEarly: boolean;
  /** The epoch with the best monitored value, when early stopping was on. */
  bestEpoch: number | null;
  /** The last checkpoint written, if any. */
  checkpoint: string | null;
}

interface EarlyStoppingState {
  best: number | null;
  wait: number;
  bestEpoch: number | null;
}

interface LoopState {
  history: EpochLog[];
  earlyStopping: EarlyStoppingState;
  stopped: boolean;
}

/** Fraction of rows whose argmax over the last dimension equals the target class index. */
export function accuracy(output: Tensor, target: Tensor | ArrayLike<number>): number {
  const classes = output.shape[output.shape.length - 1]!;
  const rows = output.data.length / classes;
  const labels = target instanceof Tensor ? target.data : target;
  if (labels.length !== rows) throw new RangeError(`accuracy: ${rows} predictions but ${labels.length} targets`);
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (output.data[r * classes + c]! > output.data[r * classes + best]!) best = c;
    if (best === labels[r]) correct += 1;
  }
  return rows === 0 ? 0 : correct / rows;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Samples in a batch: dim 0 of the target (or of the output). */
function batchSize(output: Tensor, target: unknown): number {
  if (target instanceof Tensor) return target.shape[0] ?? 1;
  if (target !== null && typeof target === 'object' && typeof (target as { length?: unknown }).length === 'number') return (target as { length: number }).length;
  if (target !== null && typeof target === 'object' && Array.isArray((target as { shape?: unknown }).shape)) return (target as { shape: number[] }).shape[0] ?? 1;
  return output.shape[0] ?? 1;
}

function isBatchSource(value: unknown): value is BatchSource {
  return value !== null && typeof value === 'object' && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** The checkpoint files in a folder, oldest first (by epoch; at a tie, version 2 after version 1). */
function checkpointFiles(dir: string): string[] {
  const rank = (file: string): number => {
    const [, epoch, extension] = CHECKPOINT_FILE.exec(file)!;
    return Number(epoch) * 2 + (extension === 'safetensors' ? 1 : 0);
  };
  return nodeBuiltin('node:fs', 'fit checkpoints').readdirSync(dir).filter((f) => CHECKPOINT_FILE.test(f)).sort((a, b) => rank(a) - rank(b));
}

/** The newest checkpoint in a folder, or the path itself when it is a file. */
function resolveResume(path: string): string {
  let isFolder: boolean;
  try {
    isFolder = nodeBuiltin('node:fs', 'fit checkpoints').statSync(path).isDirectory();
  } catch (error) {
    throw new CheckpointError(`fit: resume: ${path} cannot be read (${(error as Error).message})`);
  }
  if (!isFolder) return path;
  const files = checkpointFiles(path);
  if (files.length === 0) throw new CheckpointError(`fit: resume: ${path} holds no checkpoint-<epoch>.safetensors files`);
  return nodeBuiltin('node:path', 'fit checkpoints').join(path, files[files.length - 1]!);
}

/**
 * Makes sure checkpoints can be written to `dir` before any training: creates it, writes and
 * removes a probe file, and clears temporary files that an interrupted run left behind.
 */
function prepareCheckpointFolder(dir: string): void {
  const fs = nodeBuiltin('node:fs', 'fit checkpoints');
  const probe = nodeBuiltin('node:path', 'fit checkpoints').join(dir, `.descent-probe-${process.pid}`);
  try {
    makeFolder(dir);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    removeOrphanTemporaries(dir, (target) => CHECKPOINT_FILE.test(target));
  } catch (error) {
    throw new CheckpointError(`fit: checkpoint.dir ${dir} cannot hold checkpoints (${(error as Error).message})`);
  }
}

/** Deletes all but the newest `keep` checkpoints in `dir`, never `latest`. */
function pruneCheckpoints(dir: string, keep: number, latest: string): void {
  const fs = nodeBuiltin('node:fs', 'fit checkpoints');
  const path = nodeBuiltin('node:path', 'fit checkpoints');
  const files = checkpointFiles(dir);
  for (const file of files.slice(0, Math.max(0, files.length - keep))) {
    const full = path.join(dir, file);
    if (full !== latest) fs.rmSync(full, { force: true });
  }
}

function checkLoopState(value: unknown, where: string): LoopState {
  const loop = value as LoopState | undefined;
  if (loop === undefined || !Array.isArray(loop.history) || typeof loop.stopped !== 'boolean' || loop.earlyStopping === null || typeof loop.earlyStopping !== 'object') {
    throw new CheckpointError(`${where}: it holds no training-loop state (was it written by fit?)`);
  }
  return loop;
}

class Accumulated {
  private sums = new Map<string, number>();
  private count = 0;

  add(values: Readonly<Record<string, number>>, weight: number): void {
    for (const [key, value] of Object.entries(values)) this.sums.set(key, (this.sums.get(key) ?? 0) + value * weight);
    this.count += weight;
  }

  means(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, sum] of this.sums) out[prefix ? prefix + capitalize(key) : key] = this.count === 0 ? NaN : sum / this.count;
    return out;
  }
}

/** Trains `model`; see the file comment for the loop and the options. */
export async function fit(model: Module, options: FitOptions): Promise<FitResult> {
  const where = 'fit';
  if (model === null || typeof model !== 'object' || typeof (model as Module).train !== 'function' || typeof (model as Module).forward !== 'function') {
    throw new TypeError(`${where}: model must be a Module`);
  }
  const { optimizer, scheduler, train, validation, lossFn, metrics = {}, callbacks = {} } = options ?? ({} as FitOptions);
  if (typeof optimizer?.step !== 'function' || typeof optimizer.zeroGrad !== 'function' || !Array.isArray(optimizer.paramGroups)) {
    throw new TypeError(`${where}: optimizer must be an optimizer (step, zeroGrad, paramGroups)`);
  }
  if (!isBatchSource(train)) throw new TypeError(`${where}: train must be a DataLoader or an iterable of [input, target] batches`);
  if (validation !== undefined && !isBatchSource(validation)) throw new TypeError(`${where}: validation must be a DataLoader or an iterable of batches`);
  const epochs = options.epochs;
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 1) throw new RangeError(`${where}: epochs must be a positive integer, got ${String(epochs)}`);
  if (typeof lossFn !== 'function') throw new TypeError(`${where}: lossFn must be a function (output, target) => loss tensor`);
  for (const [name, metric] of Object.entries(metrics)) {
    if (typeof metric !== 'function') throw new TypeError(`${where}: metrics.${name} must be a function (output, target) => number`);
    if (name === 'loss') throw new RangeError(`${where}: metrics.loss would shadow the loss; pick another name`);
  }
  const schedulerStep = options.schedulerStep ?? 'epoch';
  if (schedulerStep !== 'epoch' && schedulerStep !== 'batch') throw new RangeError(`${where}: schedulerStep must be 'epoch' or 'batch', got ${String(schedulerStep)}`);
  if (scheduler !== undefined && (typeof scheduler?.step !== 'function' || typeof scheduler.stateDict !== 'function')) {
    throw new TypeError(`${where}: scheduler must be a scheduler`);
  }
  if (scheduler?.needsMetric && schedulerStep === 'batch') throw new RangeError(`${where}: ${scheduler.kind} reads a metric once per epoch; use schedulerStep 'epoch'`);
  const progressMode = options.progress ?? 'auto';
  if (!['auto', 'bar', 'lines', 'none'].includes(progressMode)) throw new RangeError(`${where}: progress must be 'auto', 'bar', 'lines' or 'none', got ${String(progressMode)}`);

  const known = ['loss', ...Object.keys(metrics)];
  if (validation) known.push('valLoss', ...Object.keys(metrics).map((m) => 'val' + capitalize(m)));
  const defaultMonitor = validation ? 'valLoss' : 'loss';
  const checkMonitor = (name: string, value: string): string => {
    if (!known.includes(value)) throw new RangeError(`${where}: ${name} ${JSON.stringify(value)} is not a logged value; logged: ${known.join(', ')}`);
    return value;
  };
  const stopping = callbacks.earlyStopping;
  const monitor = stopping ? checkMonitor('earlyStopping.monitor', stopping.monitor ?? defaultMonitor) : null;
  const patience = stopping?.patience ?? 5;
  const stopMode = stopping?.mode ?? 'min';
  const minDelta = stopping?.minDelta ?? 0;
  if (stopping) {
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`${where}: earlyStopping.patience must be an integer ≥ 0, got ${String(patience)}`);
    if (stopMode !== 'min' && stopMode !== 'max') throw new RangeError(`${where}: earlyStopping.mode must be 'min' or 'max', got ${String(stopMode)}`);
    if (typeof minDelta !== 'number' || !(minDelta >= 0)) throw new RangeError(`${where}: earlyStopping.minDelta must be a number ≥ 0, got ${String(minDelta)}`);
  }
  const schedulerMonitor = scheduler?.needsMetric ? checkMonitor('schedulerMonitor', options.schedulerMonitor ?? monitor ?? defaultMonitor) : null;
  const every = options.checkpoint?.every ?? 1;
  const keepLast = options.checkpoint?.keepLast ?? DEFAULT_KEEP_LAST;
  if (options.checkpoint !== undefined) {
    if (typeof options.checkpoint.dir !== 'string' || options.checkpoint.dir === '') throw new TypeError(`${where}: checkpoint.dir must be a folder path`);
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`${where}: checkpoint.every must be a positive integer, got ${String(every)}`);
    if (!(Number.isInteger(keepLast) || keepLast === Infinity) || keepLast < 1) {
      throw new RangeError(`${where}: checkpoint.keepLast must be a positive integer or Infinity, got ${String(keepLast)}`);
    }
  }

  // Every distinct random stream the run draws from, in a fixed order, for checkpoints.
  const generators: Generator[] = [];
  for (const g of [defaultGenerator, train.generator, validation?.generator, ...(options.generators ?? [])]) {
    if (g instanceof Generator && !generators.includes(g)) generators.push(g);
  }
  const objects = { model, optimizer, scheduler: scheduler ?? null, generators };

  // Before anything changes: a folder that cannot take checkpoints fails now, not after an epoch.
  if (options.checkpoint !== undefined) prepareCheckpointFolder(options.checkpoint.dir);

  let loop: LoopState = { history: [], earlyStopping: { best: null, wait: 0, bestEpoch: null }, stopped: false };
  let done = 0;
  if (options.resume !== undefined) {
    const path = resolveResume(options.resume);
    const source = `checkpoint ${path}`;
    const payload = loadCheckpoint(path);
    const loopState = checkLoopState((payload as { loop?: unknown } | null)?.loop, source);
    const restored = restoreTraining(payload, objects, source);
    loop = structuredClone(loopState);
    done = restored.epoch;
  }

  const progress = new Progress(progressMode, options.progressStream ?? process.stderr, epochs);
  const isBetter = (value: number, best: number | null): boolean =>
    best === null || (stopMode === 'min' ? value < best - minDelta : value > best + minDelta);
  let lastCheckpoint: string | null = null;
  const writeCheckpoint = (epoch: number): void => {
    const dir = options.checkpoint!.dir;
    const path = nodeBuiltin('node:path', 'fit checkpoints').join(dir, `checkpoint-${String(epoch).padStart(4, '0')}.safetensors`);
    saveCheckpoint(path, captureTraining(objects, epoch, loop));
    pruneCheckpoints(dir, keepLast, path);
    lastCheckpoint = path;
  };
  const callModel = (input: unknown): Tensor => {
    const output = Reflect.apply(model.forward, model, [input]);
    if (!(output instanceof Tensor)) throw new TypeError(`${where}: the model returned ${String(output)}, expected a Tensor`);
    return output;
  };
  const unpack = (batch: readonly unknown[]): [unknown, unknown] => {
    if (!Array.isArray(batch) || batch.length < 2) throw new TypeError(`${where}: each batch must be an array [input, target, ...]`);
    return [batch[0], batch[1]];
  };

  for (let epoch = done + 1; epoch <= epochs && !loop.stopped; epoch++) {
    const started = Date.now();
    progress.epochStart(epoch, typeof train.length === 'number' ? train.length : undefined);
    const trainValues = new Accumulated();
    const wasTraining = model.training;
    model.train();
    let batchIndex = 0;
    for (const batch of train) {
      const [input, target] = unpack(batch);
      optimizer.zeroGrad();
      const output = callModel(input);
      const loss = lossFn(output, target as never);
      if (!(loss instanceof Tensor) || loss.data.length !== 1) throw new TypeError(`${where}: lossFn must return a scalar Tensor`);
      loss.backward();
      optimizer.step();
      if (scheduler && schedulerStep === 'batch') scheduler.step();
      const values: Record<string, number> = { loss: loss.item() };
      for (const [name, metric] of Object.entries(metrics)) values[name] = noGrad(() => metric(output, target as never));
      trainValues.add(values, batchSize(output, target));
      batchIndex += 1;
      progress.batch(batchIndex, trainValues.means());
      callbacks.onBatchEnd?.({ epoch, batch: batchIndex, loss: values.loss! });
    }
    const lr = optimizer.paramGroups.map((g) => g.lr);
    const logged = trainValues.means();
    if (validation) {
      model.eval();
      const validationValues = new Accumulated();
      noGrad(() => {
        for (const batch of validation) {
          const [input, target] = unpack(batch);
          const output = callModel(input);
          const values: Record<string, number> = { loss: lossFn(output, target as never).item() };
          for (const [name, metric] of Object.entries(metrics)) values[name] = metric(output, target as never);
          validationValues.add(values, batchSize(output, target));
        }
      });
      Object.assign(logged, validationValues.means('val'));
    }
    model.train(wasTraining);

    if (scheduler && schedulerStep === 'epoch') {
      if (schedulerMonitor !== null) scheduler.step(logged[schedulerMonitor]);
      else scheduler.step();
    }
    const log: EpochLog = { epoch, lr, values: logged, seconds: (Date.now() - started) / 1000 };
    loop.history.push(log);
    progress.epochEnd(logged, lr, log.seconds);

    if (monitor !== null) {
      const value = logged[monitor]!;
      const state = loop.earlyStopping;
      if (isBetter(value, state.best)) {
        state.best = value;
        state.wait = 0;
        state.bestEpoch = epoch;
      } else {
        state.wait += 1;
        if (state.wait >= patience) {
          loop.stopped = true;
          progress.message(`early stopping: ${monitor} has not improved for ${state.wait} epochs (best ${state.best} at epoch ${state.bestEpoch})`);
        }
      }
    }
    if ((await callbacks.onEpochEnd?.(log)) === 'stop') loop.stopped = true;
    if (options.checkpoint && (epoch % every === 0 || epoch === epochs || loop.stopped)) writeCheckpoint(epoch);
    done = epoch;
  }

  return {
    history: loop.history,
    epochs: done,
    stoppedEarly: loop.stopped,
    bestEpoch: loop.earlyStopping.bestEpoch,
    checkpoint: lastCheckpoint,
  };
}

export { EMA, type EMAOptions, type EMAStateDict } from './ema.js';
export { AveragedModel, SWALR, copyModule, meanAvgFn, emaAvgFn, type AvgFn, type AveragedModelOptions, type SWALROptions } from './swa.js';
export { GradientAccumulator, type GradientAccumulatorOptions, type SteppableOptimizer } from './accumulate.js';
export {
  fit,
  accuracy,
  type FitOptions,
  type FitResult,
  type FitCallbacks,
  type FitOptimizer,
  type EpochLog,
  type EarlyStoppingOptions,
  type CheckpointOptions,
  type BatchSource,
  type LossFn,
  type MetricFn,
} from './fit.js';
export {
  CheckpointError,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  saveCheckpoint,
  loadCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  captureTraining,
  restoreTraining,
  type TrainingCheckpoint,
  type TrainingObjects,
} from './checkpoint.js';
export type { ProgressMode, ProgressStream } from './progress.js';
export type { ParameterSource, HasParameters } from './params.js';

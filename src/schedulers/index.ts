export * from './schedules.js';
export {
  LRScheduler,
  ChainableLR,
  ScheduledLR,
  type Scheduler,
  type SchedulerStateDict,
  type SchedulableGroup,
  type SchedulableOptimizer,
  type MomentumField,
  type JsonValue,
  type JsonObject,
} from './scheduler.js';
export {
  StepLR,
  MultiStepLR,
  ConstantLR,
  LinearLR,
  ExponentialLR,
  PolynomialLR,
  CosineAnnealingLR,
  LambdaLR,
  MultiplicativeLR,
  CosineAnnealingWarmRestarts,
  WarmupCosineLR,
  type LambdaLROptions,
} from './decay.js';
export { CyclicLR, OneCycleLR, type CyclicLROptions, type OneCycleLROptions } from './cyclic.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
export { SequentialLR, ChainedScheduler, type SequentialLROptions } from './compose.js';

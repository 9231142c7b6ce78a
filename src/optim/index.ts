/**
 * descent's optimizers: PyTorch's classes, names and defaults (camelCase options), plus LAMB,
 * LARS and the Lookahead and SAM wrappers, gradient clipping, and the kernel table. The registry of optimizer specs is a separate entry (`descent/registry`) so that bundlers
 * can drop the optimizers a program does not use.
 */
export { Optimizer, type ParamGroup, type ParamGroupInput, type ParamsInput, type ZeroGradOptions, checkGradientShape } from './optimizer.js';
export { KernelOptimizer } from './runner.js';
export { snakeCase, camelCase, requireOption, checkLearningRate, checkNonNegative, checkInRange, checkBetas, checkBoolean } from './options.js';
export type { ParamState, StateValue, TensorJSON, StateJSONValue, ParamGroupJSON, OptimizerStateDict } from './state_dict.js';
export type { Run, StateField, StateFieldKind, StateLayout, OptimizerSpec, KernelOptimizerSpec, KernelSpec, OptionSpec, StateTable, StateEntrySpec } from './spec.js';
export { SGD, SGD_DEFAULTS, type SGDOptions, type SGDState } from './sgd.js';
export { Adagrad, ADAGRAD_DEFAULTS, type AdagradOptions, type AdagradState } from './adagrad.js';
export { RMSprop, RMSPROP_DEFAULTS, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { Adam, ADAM_DEFAULTS, type AdamOptions, type AdamState } from './adam.js';
export { AdamW, ADAMW_DEFAULTS, type AdamWOptions, type AdamWState } from './adamw.js';
export { Adadelta, ADADELTA_DEFAULTS, type AdadeltaOptions, type AdadeltaState } from './adadelta.js';
export { Adamax, ADAMAX_DEFAULTS, type AdamaxOptions, type AdamaxState } from './adamax.js';
export { NAdam, NADAM_DEFAULTS, type NAdamOptions, type NAdamState } from './nadam.js';
export { RAdam, RADAM_DEFAULTS, type RAdamOptions, type RAdamState } from './radam.js';
export { SparseAdam, SPARSE_ADAM_DEFAULTS, type SparseAdamOptions, type SparseAdamState } from './sparse_adam.js';
export { LAMB, LAMB_DEFAULTS, type LAMBOptions, type LAMBState } from './lamb.js';
export { LARS, LARS_DEFAULTS, type LARSOptions, type LARSState } from './lars.js';
export { Rprop, rpropSpec, RPROP_DEFAULTS, type RpropOptions, type RpropState } from './rprop.js';
export { ASGD, asgdSpec, ASGD_DEFAULTS, type ASGDOptions, type ASGDState } from './asgd.js';
export { Adafactor, adafactorSpec, ADAFACTOR_DEFAULTS, type AdafactorOptions, type AdafactorState } from './adafactor.js';
export { Muon, muonSpec, MUON_DEFAULTS, type MuonOptions, type MuonState } from './muon.js';
export { LBFGS, LBFGS_DEFAULTS, type LBFGSOptions, type LineSearchFn } from './lbfgs.js';
export { Lookahead, LOOKAHEAD_DEFAULTS, type LookaheadOptions, type LookaheadStateDict } from './lookahead.js';
export { SAM, SAM_DEFAULTS, type SAMOptions, type SAMStateDict } from './sam.js';
export type { OptimizerLike } from './wrapper.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions, type ClipTarget, type NormType } from './clip.js';
export { kernels, referenceKernels, useKernels, type KernelTable } from './kernels/index.js';

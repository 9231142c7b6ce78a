/**
 * descent's optimizers: PyTorch's classes, names and defaults (camelCase options), plus LAMB,
 * LARS and the Lookahead and SAM wrappers, gradient clipping, and the kernel table. The registry of optimizer specs is a separate entry (`descent/registry`) so that bundlers
 * can drop the optimizers a program does not use.
 */
export { Optimizer, type ParamGroup, type ParamGroupInput, type ParamsInput, type ZeroGradOptions } from './optimizer.js';
export type { ParamState, StateValue, TensorJSON, StateJSONValue, ParamGroupJSON, OptimizerStateDict } from './state_dict.js';
export type { Run, StateField, StateFieldKind, StateLayout, OptimizerSpec, KernelOptimizerSpec, KernelSpec, OptionSpec, StateTable, StateEntrySpec } from './spec.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW, type AdamWOptions, type AdamWState } from './adamw.js';
export { Adadelta, type AdadeltaOptions, type AdadeltaState } from './adadelta.js';
export { Adamax, type AdamaxOptions, type AdamaxState } from './adamax.js';
export { NAdam, type NAdamOptions, type NAdamState } from './nadam.js';
export { RAdam, type RAdamOptions, type RAdamState } from './radam.js';
export { SparseAdam, type SparseAdamOptions, type SparseAdamState } from './sparse_adam.js';
export { LAMB, type LAMBOptions, type LAMBState } from './lamb.js';
export { LARS, type LARSOptions, type LARSState } from './lars.js';
export { Rprop, type RpropOptions, type RpropState } from './rprop.js';
export { ASGD, type ASGDOptions, type ASGDState } from './asgd.js';
export { Adafactor, type AdafactorOptions, type AdafactorState } from './adafactor.js';
export { Muon, type MuonOptions, type MuonState } from './muon.js';
export { LBFGS, type LBFGSOptions, type LineSearchFn } from './lbfgs.js';
export { Lookahead, type LookaheadOptions, type LookaheadStateDict } from './lookahead.js';
export { SAM, type SAMOptions, type SAMStateDict } from './sam.js';
export type { OptimizerLike } from './wrapper.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions, type ClipTarget, type NormType } from './clip.js';

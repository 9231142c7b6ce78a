/**
 * One fused WebAssembly step per optimizer over the params of an arena.
 *
 * Each function hands one kernel call the numbers the plain TypeScript kernel of the same
 * optimizer reads (`AdamHyper`, ...: computed once per step by ../kernels/scalars.ts), so the
 * two paths share everything but their loops. The listed params (`indices`, ascending) are
 * those with a dense gradient staged in the arena (`ParamArena.stageGrad`); params without a
 * gradient are left alone, as PyTorch skips them. Bookkeeping (which params, step counts,
 * lazily created state) stays with the optimizer classes (../optimizer.ts).
 *
 * Nothing here allocates: tables, norms and trust ratios live in the arena or in buffers
 * reused from call to call.
 */
import type { ParamArena, StagedRows } from './arena.js';
import type { AdagradHyper, RmspropHyper, AdamHyper, AdadeltaHyper, AdamaxHyper, NadamHyper, RadamHyper, SparseAdamHyper } from '../kernels/index.js';
import { gradientSign, lambTrustRatio, larsTrustRatio } from '../kernels/scalars.js';

const NO_OPTIONS = Object.freeze({});
const NONE: readonly string[] = Object.freeze([]);
const MOMENTUM: readonly string[] = Object.freeze(['momentum_buffer']);
const SUM: readonly string[] = Object.freeze(['sum']);
const MOMENTS: readonly string[] = Object.freeze(['exp_avg', 'exp_avg_sq']);
const MOMENTS_AMSGRAD: readonly string[] = Object.freeze(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
const ADADELTA: readonly string[] = Object.freeze(['square_avg', 'acc_delta']);
const ADAMAX: readonly string[] = Object.freeze(['exp_avg', 'exp_inf']);
/** LAMB's direction u goes to a scratch region, so the gradient stays the caller's. */
const LAMB: readonly string[] = Object.freeze(['exp_avg', 'exp_avg_sq', 'update']);
/** RMSprop, indexed by (centered ? 1 : 0) + (momentum > 0 ? 2 : 0). */
const RMSPROP: readonly (readonly string[])[] = [
  ['square_avg'],
  ['square_avg', 'grad_avg'],
  ['square_avg', 'momentum_buffer'],
  ['square_avg', 'grad_avg', 'momentum_buffer'],
].map((names) => Object.freeze(names));

/**
 * The arrays each fused optimizer keeps per param (PyTorch's state keys, plus LAMB's scratch
 * `update`). The same frozen array comes back for the same configuration, so a caller can tell
 * a changed configuration by identity.
 */
export function fusedStateArrays(optimizer: string, options: { momentum?: number; centered?: boolean; amsgrad?: boolean } = NO_OPTIONS): readonly string[] {
  switch (optimizer) {
    case 'sgd':
    case 'lars':
      return (options.momentum ?? 0) !== 0 ? MOMENTUM : NONE;
    case 'adagrad':
      return SUM;
    case 'rmsprop':
      return RMSPROP[(options.centered === true ? 1 : 0) + ((options.momentum ?? 0) > 0 ? 2 : 0)]!;
    case 'adam':
    case 'adamw':
      return options.amsgrad === true ? MOMENTS_AMSGRAD : MOMENTS;
    case 'adadelta':
      return ADADELTA;
    case 'adamax':
      return ADAMAX;
    case 'nadam':
    case 'radam':
    case 'sparseadam':
      return MOMENTS;
    case 'lamb':
      return LAMB;
    default:
      throw new Error(`fusedStateArrays: no fused kernel for optimizer '${optimizer}'`);
  }
}

/** SGD's options as its kernel reads them (it has no per-step number but the first step). */
export interface SgdOptionsLike {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize?: boolean;
}

/**
 * SGD. `firstStep`: the momentum buffers do not exist yet, so they start as the gradient
 * (PyTorch's `buf = clone(d_p)`), not as a decayed zero.
 */
export function sgdStep(arena: ParamArena, indices: readonly number[], o: SgdOptionsLike, firstStep: boolean): void {
  const segments = arena.writeSegments(indices);
  const bufOff = o.momentum !== 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.sgd(arena.tableAddress, segments, arena.gradOffset, bufOff, o.lr, o.weightDecay, gradientSign(o), o.momentum, o.dampening, o.nesterov ? 1 : 0, firstStep ? 1 : 0);
}

/** Adagrad, dense gradients. */
export function adagradStep(arena: ParamArena, indices: readonly number[], h: AdagradHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adagrad(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('sum'), h.clr, h.weightDecay, h.gradScale, h.eps);
}

/** Adagrad on param i's staged row-sparse gradient (PyTorch refuses weight decay here). */
export function adagradRowsStep(arena: ParamArena, i: number, rows: StagedRows, h: AdagradHyper): void {
  if (h.weightDecay !== 0) throw new Error(`Adagrad: weight_decay (${h.weightDecay}) is not supported with sparse gradients`);
  const param = arena.address(i);
  arena.kernels.adagradRows(param, param + arena.stateOffset('sum'), rows.valuesAddress, rows.indicesAddress, rows.rows, rows.width, h.clr, h.gradScale, h.eps);
}

/** RMSprop (its momentum buffer starts at zero, so no first-step case). */
export function rmspropStep(arena: ParamArena, indices: readonly number[], h: RmspropHyper, centered: boolean): void {
  const segments = arena.writeSegments(indices);
  const gradAvgOff = centered ? arena.stateOffset('grad_avg') : 0;
  const bufOff = h.momentum > 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.rmsprop(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('square_avg'), gradAvgOff, bufOff, h.lr, h.alpha, h.eps, h.weightDecay, h.gradScale, h.momentum, centered ? 1 : 0);
}

/** Adam and AdamW (`h.paramDecay` is AdamW's decoupled decay, `h.weightDecay` Adam's L2 term). */
export function adamStep(arena: ParamArena, indices: readonly number[], h: AdamHyper, amsgrad: boolean): void {
  const segments = arena.writeSegments(indices);
  const vMaxOff = amsgrad ? arena.stateOffset('max_exp_avg_sq') : 0;
  arena.kernels.adam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), vMaxOff, h.beta1, h.beta2, h.stepSize, 1 / h.bc2Sqrt, h.eps, h.weightDecay, h.paramDecay, h.gradScale, amsgrad ? 1 : 0);
}

export function adadeltaStep(arena: ParamArena, indices: readonly number[], h: AdadeltaHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adadelta(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('square_avg'), arena.stateOffset('acc_delta'), h.lr, h.rho, h.eps, h.weightDecay, h.gradScale);
}

export function adamaxStep(arena: ParamArena, indices: readonly number[], h: AdamaxHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adamax(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_inf'), h.beta1, h.beta2, h.eps, h.weightDecay, h.gradScale, h.stepSize);
}

export function nadamStep(arena: ParamArena, indices: readonly number[], h: NadamHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.nadam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), h.beta1, h.beta2, 1 / h.bc2, h.eps, h.weightDecay, h.gradScale, h.gradStep, h.momentumStep);
}

/**
 * RAdam. The kernel computes p − scale·m·numer/(sqrtWeight·√v + floor), which is the
 * rectified step (scale = adaptiveStep, floor = ε) or the momentum-only one (scale = plainStep,
 * no √v) with the numbers below.
 */
export function radamStep(arena: ParamArena, indices: readonly number[], h: RadamHyper): void {
  const rectified = h.plainStep === 0;
  const segments = arena.writeSegments(indices);
  arena.kernels.radam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), h.beta1, h.beta2, h.weightDecay, h.gradScale, rectified ? h.adaptiveStep : h.plainStep, 1, rectified ? 1 : 0, rectified ? h.eps : 1);
}

/** SparseAdam on param i's staged rows. Note ε is added to √v, not to √v̂ as in Adam. */
export function sparseAdamRowsStep(arena: ParamArena, i: number, rows: StagedRows, h: SparseAdamHyper): void {
  const param = arena.address(i);
  arena.kernels.sparseAdamRows(param, param + arena.stateOffset('exp_avg'), param + arena.stateOffset('exp_avg_sq'), rows.valuesAddress, rows.indicesAddress, rows.rows, rows.width, h.beta1, h.beta2, h.eps, h.stepSize, h.gradScale);
}

/** Which array of each param a norm pass reads. */
export type ArenaArray = 'param' | 'grad' | { state: string };

function arrayOffset(arena: ParamArena, which: ArenaArray): number {
  if (which === 'param') return 0;
  if (which === 'grad') return arena.gradOffset;
  return arena.stateOffset(which.state);
}

/**
 * Σx² of each listed param's array, in f64: entry k is `indices[k]`'s. A live view of the
 * arena's norm slots, overwritten by the next norm pass.
 */
export function sumOfSquares(arena: ParamArena, indices: readonly number[], which: ArenaArray): Float64Array {
  const segments = arena.writeSegments(indices, true);
  arena.kernels.sumSquares(arena.tableAddress, segments, arrayOffset(arena, which), arena.normsAddress);
  return arena.norms;
}

/** Σ‖g‖² over the listed params' gradients together. */
export function gradSumOfSquares(arena: ParamArena, indices: readonly number[]): number {
  const sums = sumOfSquares(arena, indices, 'grad');
  let total = 0;
  for (let k = 0; k < indices.length; k++) total += sums[k]!;
  return total;
}

/** Multiplies each listed param's gradient by `factor` (the second half of norm clipping). */
export function scaleGrads(arena: ParamArena, indices: readonly number[], factor: number): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.scaleSegments(arena.tableAddress, segments, arena.gradOffset, factor);
}

/** Per-param trust ratios (LAMB, LARS) and the scales made of them, reused from step to step. */
const buffersOf = new WeakMap<ParamArena, { ratios: Float64Array; scales: Float64Array }>();

function trustBuffers(arena: ParamArena): { ratios: Float64Array; scales: Float64Array } {
  let buffers = buffersOf.get(arena);
  if (buffers === undefined) {
    const n = Math.max(1, arena.params.length);
    buffers = { ratios: new Float64Array(n), scales: new Float64Array(n) };
    buffersOf.set(arena, buffers);
  }
  return buffers;
}

/**
 * LAMB (README's definition), two passes: the Adam direction u (numbers from `lambScalars`:
 * stepSize = 1/(1 − β₁ᵗ), bc2Sqrt, the global clip as gradScale) with the norms ‖p‖ and ‖u‖ of
 * every param, then `p ← p − lr·r·u` with r the trust ratio. Returns the ratios (entry k for
 * `indices[k]`; reused by the next call).
 */
export function lambStep(arena: ParamArena, indices: readonly number[], h: AdamHyper, o: { lr: number; weightDecay: number; trustClip: boolean }): Float64Array {
  const segments = arena.writeSegments(indices, true);
  const updateOff = arena.stateOffset('update');
  const kernels = arena.kernels;
  kernels.lambDirection(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), updateOff, h.beta1, h.beta2, h.stepSize, 1 / (h.bc2Sqrt * h.bc2Sqrt), h.eps, o.weightDecay, h.gradScale, arena.normsAddress);
  const norms = arena.norms;
  const { ratios, scales } = trustBuffers(arena);
  for (let s = 0; s < segments; s++) {
    ratios[s] = lambTrustRatio(Math.sqrt(norms[2 * s]!), Math.sqrt(norms[2 * s + 1]!), o.trustClip);
    scales[s] = o.lr * ratios[s]!;
  }
  arena.setSegmentScales(scales, segments);
  arena.kernels.subtractScaled(arena.tableAddress, segments, updateOff);
  return ratios;
}

export interface LarsOptionsLike extends SgdOptionsLike {
  trustCoefficient: number;
  eps: number;
  trustClip: boolean;
}

/**
 * LARS (README's definition): per param the trust ratio r of ‖p‖ and ‖g‖, then SGD on
 * (g + λp)·r. Returns the ratios (entry k for `indices[k]`; reused by the next call).
 */
export function larsStep(arena: ParamArena, indices: readonly number[], o: LarsOptionsLike, firstStep: boolean): Float64Array {
  // One table entry per param serves both norm passes and the update; the ratios go in as scales.
  const segments = arena.writeSegments(indices, true);
  arena.kernels.sumSquares(arena.tableAddress, segments, 0, arena.normsAddress);
  arena.kernels.sumSquares(arena.tableAddress, segments, arena.gradOffset, arena.normsAddress + 8 * segments);
  const norms = arena.norms;
  const { ratios } = trustBuffers(arena);
  for (let k = 0; k < segments; k++) ratios[k] = larsTrustRatio(Math.sqrt(norms[k]!), Math.sqrt(norms[segments + k]!), o);
  arena.setSegmentScales(ratios, segments);
  const bufOff = o.momentum !== 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.sgd(arena.tableAddress, segments, arena.gradOffset, bufOff, o.lr, o.weightDecay, gradientSign(o), o.momentum, o.dampening, o.nesterov ? 1 : 0, firstStep ? 1 : 0);
  return ratios;
}

/**
 * One fused WebAssembly step per optimizer over the params of an arena.
 *
 * Each function turns a group's hyperparameters and step count into the few numbers its
 * kernel takes (bias corrections, step sizes, the ±1 of `maximize`), in double precision and
 * in PyTorch's order of operations, then runs the kernel once over every listed param. The
 * listed params (`indices`, ascending) are those that have a dense gradient staged in the
 * arena (`ParamArena.stageGrad`); params without a gradient are left alone, as PyTorch skips
 * them. Bookkeeping (which params, step counts, lazily created state) stays with the
 * optimizer classes; these functions only do the maths.
 */
import type { ParamArena, StagedRows } from './arena.js';

/** The state arrays each fused optimizer keeps per param, by PyTorch's state key. */
export function fusedStateArrays(optimizer: string, options: { momentum?: number; centered?: boolean; amsgrad?: boolean } = {}): string[] {
  switch (optimizer) {
    case 'sgd':
    case 'lars':
      return (options.momentum ?? 0) !== 0 ? ['momentum_buffer'] : [];
    case 'adagrad':
      return ['sum'];
    case 'rmsprop':
      return ['square_avg', ...(options.centered ? ['grad_avg'] : []), ...((options.momentum ?? 0) > 0 ? ['momentum_buffer'] : [])];
    case 'adam':
    case 'adamw':
      return ['exp_avg', 'exp_avg_sq', ...(options.amsgrad ? ['max_exp_avg_sq'] : [])];
    case 'adadelta':
      return ['square_avg', 'acc_delta'];
    case 'adamax':
      return ['exp_avg', 'exp_inf'];
    case 'nadam':
    case 'radam':
    case 'sparseadam':
    case 'lamb':
      return ['exp_avg', 'exp_avg_sq'];
    default:
      throw new Error(`fusedStateArrays: no fused kernel for optimizer '${optimizer}'`);
  }
}

const signOf = (maximize: boolean): number => (maximize ? -1 : 1);

function checkStep(step: number, who: string): void {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`${who}: step must be an integer ≥ 1 (the count after this update), got ${step}`);
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * SGD. `firstStep`: the momentum buffers do not exist yet, so they start as the gradient
 * (PyTorch's `buf = clone(d_p)`), not as a decayed zero.
 */
export function sgdStep(arena: ParamArena, indices: readonly number[], h: SgdHyper, firstStep: boolean): void {
  const segments = arena.writeSegments(indices);
  const bufOff = h.momentum !== 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.sgd(arena.tableAddress, segments, arena.gradOffset, bufOff, h.lr, h.weightDecay, signOf(h.maximize), h.momentum, h.dampening, h.nesterov ? 1 : 0, firstStep ? 1 : 0);
}

export interface AdagradHyper {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  eps: number;
  maximize: boolean;
}

const adagradClr = (h: AdagradHyper, step: number): number => h.lr / (1 + (step - 1) * h.lrDecay);

/** Adagrad, dense gradients. `step`: this param's step count after the update (1 on the first). */
export function adagradStep(arena: ParamArena, indices: readonly number[], h: AdagradHyper, step: number): void {
  checkStep(step, 'adagradStep');
  const segments = arena.writeSegments(indices);
  arena.kernels.adagrad(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('sum'), adagradClr(h, step), h.weightDecay, signOf(h.maximize), h.eps);
}

/** Adagrad on param i's staged row-sparse gradient (PyTorch refuses weight decay here). */
export function adagradRowsStep(arena: ParamArena, i: number, rows: StagedRows, h: AdagradHyper, step: number): void {
  checkStep(step, 'adagradRowsStep');
  if (h.weightDecay !== 0) throw new Error(`Adagrad: weight_decay (${h.weightDecay}) is not supported with sparse gradients`);
  const param = arena.address(i);
  arena.kernels.adagradRows(param, param + arena.stateOffset('sum'), rows.valuesAddress, rows.indicesAddress, rows.rows, rows.width, adagradClr(h, step), signOf(h.maximize), h.eps);
}

export interface RmspropHyper {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** RMSprop (its momentum buffer starts at zero, so no first-step case). */
export function rmspropStep(arena: ParamArena, indices: readonly number[], h: RmspropHyper): void {
  const segments = arena.writeSegments(indices);
  const gradAvgOff = h.centered ? arena.stateOffset('grad_avg') : 0;
  const bufOff = h.momentum > 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.rmsprop(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('square_avg'), gradAvgOff, bufOff, h.lr, h.alpha, h.eps, h.weightDecay, signOf(h.maximize), h.momentum, h.centered ? 1 : 0);
}

export interface AdamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /** AdamW: `p ← p·(1 − lr·λ)` instead of adding `λ·p` to the gradient. */
  decoupledWeightDecay: boolean;
}

/** Adam and AdamW. `step`: the step count after this update. */
export function adamStep(arena: ParamArena, indices: readonly number[], h: AdamHyper, step: number): void {
  checkStep(step, 'adamStep');
  const [beta1, beta2] = h.betas;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const stepSize = h.lr / biasCorrection1;
  const invSqrtBc2 = 1 / Math.sqrt(biasCorrection2);
  const l2 = h.decoupledWeightDecay ? 0 : h.weightDecay;
  const decay = h.decoupledWeightDecay ? 1 - h.lr * h.weightDecay : 1;
  const segments = arena.writeSegments(indices);
  const vMaxOff = h.amsgrad ? arena.stateOffset('max_exp_avg_sq') : 0;
  arena.kernels.adam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), vMaxOff, beta1, beta2, stepSize, invSqrtBc2, h.eps, l2, decay, signOf(h.maximize), h.amsgrad ? 1 : 0);
}

export interface AdadeltaHyper {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

export function adadeltaStep(arena: ParamArena, indices: readonly number[], h: AdadeltaHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adadelta(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('square_avg'), arena.stateOffset('acc_delta'), h.lr, h.rho, h.eps, h.weightDecay, signOf(h.maximize));
}

export interface AdamaxHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

export function adamaxStep(arena: ParamArena, indices: readonly number[], h: AdamaxHyper, step: number): void {
  checkStep(step, 'adamaxStep');
  const [beta1, beta2] = h.betas;
  const clr = h.lr / (1 - beta1 ** step);
  const segments = arena.writeSegments(indices);
  arena.kernels.adamax(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_inf'), beta1, beta2, h.eps, h.weightDecay, signOf(h.maximize), clr);
}

export interface NadamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  maximize: boolean;
}

/**
 * NAdam's per-step numbers. `muProduct` is the product of μ over earlier steps (1 before the
 * first); PyTorch keeps it in a float32 tensor, so it is rounded to float32 here too.
 *
 * Compatibility: PyTorch 1.13 (which made the golden data) takes the product for the momentum
 * term as Πμ·μₜ·μₜ₊₁, with μₜ counted twice; later PyTorch releases and the paper use
 * Πμ·μₜ₊₁. descent follows 1.13, its reference for every number.
 */
export function nadamScalars(h: NadamHyper, step: number, muProduct: number): { gradCoef: number; momentumCoef: number; muProduct: number; invBc2: number } {
  const [beta1, beta2] = h.betas;
  const mu = beta1 * (1 - 0.5 * 0.96 ** (step * h.momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * h.momentumDecay));
  const product = Math.fround(muProduct * mu);
  const productNext = Math.fround(Math.fround(product * mu) * muNext);
  return {
    gradCoef: (h.lr * (1 - mu)) / (1 - product),
    momentumCoef: (h.lr * muNext) / (1 - productNext),
    muProduct: product,
    invBc2: 1 / (1 - beta2 ** step),
  };
}

/** NAdam. Returns the new μ product, which the caller keeps with the params' state. */
export function nadamStep(arena: ParamArena, indices: readonly number[], h: NadamHyper, step: number, muProduct: number): number {
  checkStep(step, 'nadamStep');
  const s = nadamScalars(h, step, muProduct);
  const [beta1, beta2] = h.betas;
  const segments = arena.writeSegments(indices);
  arena.kernels.nadam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), beta1, beta2, s.invBc2, h.eps, h.weightDecay, signOf(h.maximize), s.gradCoef, s.momentumCoef);
  return s.muProduct;
}

export interface RadamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * RAdam's per-step numbers: the variance is rectified once its approximated SMA length ρₜ
 * exceeds 5 (PyTorch's threshold; optax uses ≥ 5), before that the step is plain momentum.
 */
export function radamScalars(h: RadamHyper, step: number): { scale: number; numer: number; sqrtWeight: number; floor: number; rectified: boolean } {
  const [beta1, beta2] = h.betas;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
  if (rhoT > 5) {
    const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    return { scale: (h.lr * rect) / biasCorrection1, numer: Math.sqrt(biasCorrection2), sqrtWeight: 1, floor: h.eps, rectified: true };
  }
  return { scale: h.lr / biasCorrection1, numer: 1, sqrtWeight: 0, floor: 1, rectified: false };
}

export function radamStep(arena: ParamArena, indices: readonly number[], h: RadamHyper, step: number): void {
  checkStep(step, 'radamStep');
  const s = radamScalars(h, step);
  const [beta1, beta2] = h.betas;
  const segments = arena.writeSegments(indices);
  arena.kernels.radam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), beta1, beta2, h.weightDecay, signOf(h.maximize), s.scale, s.numer, s.sqrtWeight, s.floor);
}

export interface SparseAdamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  maximize: boolean;
}

/** SparseAdam on param i's staged rows. Note ε is added to √v, not to √v̂ as in Adam. */
export function sparseAdamRowsStep(arena: ParamArena, i: number, rows: StagedRows, h: SparseAdamHyper, step: number): void {
  checkStep(step, 'sparseAdamRowsStep');
  const [beta1, beta2] = h.betas;
  const stepSize = (h.lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  const param = arena.address(i);
  arena.kernels.sparseAdamRows(param, param + arena.stateOffset('exp_avg'), param + arena.stateOffset('exp_avg_sq'), rows.valuesAddress, rows.indicesAddress, rows.rows, rows.width, beta1, beta2, h.eps, stepSize, signOf(h.maximize));
}

/** Which array of each param a norm pass reads. */
export type ArenaArray = 'param' | 'grad' | { state: string };

function arrayOffset(arena: ParamArena, which: ArenaArray): number {
  if (which === 'param') return 0;
  if (which === 'grad') return arena.gradOffset;
  return arena.stateOffset(which.state);
}

/** Σx² of each listed param's array, in f64 (a fresh array, one entry per listed param). */
export function sumOfSquares(arena: ParamArena, indices: readonly number[], which: ArenaArray): Float64Array {
  const segments = arena.writeSegments(indices, { separate: true });
  arena.kernels.sumSquares(arena.tableAddress, segments, arrayOffset(arena, which), arena.normsAddress);
  return arena.norms(segments, 1).slice();
}

/** Multiplies each listed param's gradient by `factor` (the second half of norm clipping). */
export function scaleGrads(arena: ParamArena, indices: readonly number[], factor: number): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.scaleSegments(arena.tableAddress, segments, arena.gradOffset, factor);
}

export interface LambHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  trustClip: boolean;
}

/**
 * LAMB (README's definition), two passes: the Adam direction u with the norms ‖p‖ and ‖u‖ of
 * every param, then `p ← p − lr·r·u` with r = ‖p‖/‖u‖ (1 where either is 0, ≤ 1 with
 * trustClip). `gradScale` is 1/max(G/max_grad_norm, 1) from the global gradient norm G, which
 * the caller takes over all groups with `sumOfSquares(…, 'grad')`. Returns the trust ratios.
 */
export function lambStep(arena: ParamArena, indices: readonly number[], h: LambHyper, step: number, gradScale: number): Float64Array {
  checkStep(step, 'lambStep');
  const [beta1, beta2] = h.betas;
  const segments = arena.writeSegments(indices, { separate: true });
  arena.kernels.lambDirection(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), beta1, beta2, 1 / (1 - beta1 ** step), 1 / (1 - beta2 ** step), h.eps, h.weightDecay, gradScale, arena.normsAddress);
  const norms = arena.norms(segments, 2);
  const ratios = new Float64Array(segments);
  const scales = new Float64Array(segments);
  for (let s = 0; s < segments; s++) {
    const weightNorm = Math.sqrt(norms[2 * s]!);
    const updateNorm = Math.sqrt(norms[2 * s + 1]!);
    const r = weightNorm > 0 && updateNorm > 0 ? weightNorm / updateNorm : 1;
    ratios[s] = h.trustClip ? Math.min(r, 1) : r;
    scales[s] = h.lr * ratios[s]!;
  }
  // The table still lists one segment per param: only the scales change.
  arena.setSegmentScales(scales);
  arena.kernels.subtractScaled(arena.tableAddress, segments, arena.gradOffset);
  return ratios;
}

export interface LarsHyper extends SgdHyper {
  trustCoefficient: number;
  eps: number;
  trustClip: boolean;
}

/**
 * LARS (README's definition): per param r = η‖p‖/(‖g‖ + λ‖p‖ + ε) (1 where either norm is 0;
 * with trustClip min(r/lr, 1)), then SGD on (g + λp)·r. Returns the trust ratios.
 */
export function larsStep(arena: ParamArena, indices: readonly number[], h: LarsHyper, firstStep: boolean): Float64Array {
  // One table entry per param serves both norm passes and the update; the ratios go in as scales.
  const segments = arena.writeSegments(indices, { separate: true });
  arena.kernels.sumSquares(arena.tableAddress, segments, 0, arena.normsAddress);
  arena.kernels.sumSquares(arena.tableAddress, segments, arena.gradOffset, arena.normsAddress + 8 * segments);
  const norms = arena.norms(segments, 2);
  const ratios = new Float64Array(segments);
  for (let k = 0; k < segments; k++) {
    const w = Math.sqrt(norms[k]!);
    const g = Math.sqrt(norms[segments + k]!);
    let r = w > 0 && g > 0 ? (h.trustCoefficient * w) / (g + h.weightDecay * w + h.eps) : 1;
    if (h.trustClip) r = Math.min(r / h.lr, 1);
    ratios[k] = r;
  }
  arena.setSegmentScales(ratios);
  const bufOff = h.momentum !== 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.sgd(arena.tableAddress, segments, arena.gradOffset, bufOff, h.lr, h.weightDecay, signOf(h.maximize), h.momentum, h.dampening, h.nesterov ? 1 : 0, firstStep ? 1 : 0);
  return ratios;
}

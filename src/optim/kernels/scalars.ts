/**
 * The per-step numbers of each optimizer's box: bias corrections, Adagrad's decayed rate,
 * NAdam's momentum schedule, RAdam's rectification, LAMB's and LARS's trust ratios. Each is
 * computed once per step, in doubles, into the hyperparameter object that both kernels read:
 * the plain TypeScript kernel beside this file and the fused WebAssembly one
 * (each spec's `fused` call, asm/optim/). The two paths therefore differ in their loops only.
 *
 * Every function fills `h` (reused by its caller, so a step allocates nothing) and returns it.
 * `step` is the count after this update: 1 on a parameter's first step.
 */
import type { AdagradHyper } from './adagrad.js';
import type { RmspropHyper } from './rmsprop.js';
import type { AdamHyper } from './adam.js';
import type { AdadeltaHyper } from './adadelta.js';
import type { AdamaxHyper } from './adamax.js';
import type { NadamHyper } from './nadam.js';
import type { RadamHyper } from './radam.js';
import type { SparseAdamHyper } from './sparse_adam.js';

type Betas = readonly [number, number];

/** `maximize` as the sign the kernels multiply the gradient by (absent: descend). */
export const gradientSign = (o: { maximize?: boolean }): number => (o.maximize === true ? -1 : 1);

function checkStep(step: number, who: string): void {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`${who}: step must be an integer ≥ 1 (the count after this update), got ${step}`);
}

/** Adagrad: clr = lr / (1 + (t − 1)·lrDecay). */
export function adagradScalars(h: AdagradHyper, o: { lr: number; lrDecay: number; weightDecay: number; eps: number; maximize?: boolean }, step: number): AdagradHyper {
  checkStep(step, 'adagradScalars');
  h.clr = o.lr / (1 + (step - 1) * o.lrDecay);
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  h.weightDecay = o.weightDecay;
  return h;
}

/** RMSprop: no per-step number; the options as the kernels read them. */
export function rmspropScalars(h: RmspropHyper, o: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; maximize?: boolean }): RmspropHyper {
  h.lr = o.lr;
  h.alpha = o.alpha;
  h.eps = o.eps;
  h.momentum = o.momentum;
  h.gradScale = gradientSign(o);
  h.weightDecay = o.weightDecay;
  return h;
}

/**
 * Weight decay as the kernels take it: an L2 term λ added to the gradient, or (decoupled, as
 * AdamW and PyTorch 2.x's `decoupled_weight_decay`) a factor 1 − lr·λ on θ before the step.
 */
function setWeightDecay(h: { weightDecay: number; paramDecay: number }, o: { lr: number; weightDecay: number }, decoupled: boolean): void {
  h.weightDecay = decoupled ? 0 : o.weightDecay;
  h.paramDecay = decoupled ? 1 - o.lr * o.weightDecay : 1;
}

/**
 * Adam, AdamW (`decoupled`), and LAMB's direction (lr 1, no decay): stepSize = lr / (1 − β₁ᵗ),
 * bc2Sqrt = √(1 − β₂ᵗ); AdamW's decay factor 1 − lr·λ in place of Adam's L2 term λ.
 */
export function adamScalars(h: AdamHyper, o: { lr: number; betas: Betas; eps: number; weightDecay: number; maximize?: boolean }, decoupled: boolean, step: number): AdamHyper {
  checkStep(step, 'adamScalars');
  const beta1 = o.betas[0];
  const beta2 = o.betas[1];
  h.beta1 = beta1;
  h.beta2 = beta2;
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  setWeightDecay(h, o, decoupled);
  h.stepSize = o.lr / (1 - beta1 ** step);
  h.bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  return h;
}

/** Adadelta: no per-step number. */
export function adadeltaScalars(h: AdadeltaHyper, o: { lr: number; rho: number; eps: number; weightDecay: number; maximize?: boolean }): AdadeltaHyper {
  h.lr = o.lr;
  h.rho = o.rho;
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  h.weightDecay = o.weightDecay;
  return h;
}

/** Adamax: stepSize = lr / (1 − β₁ᵗ). */
export function adamaxScalars(h: AdamaxHyper, o: { lr: number; betas: Betas; eps: number; weightDecay: number; maximize?: boolean }, step: number): AdamaxHyper {
  checkStep(step, 'adamaxScalars');
  h.beta1 = o.betas[0];
  h.beta2 = o.betas[1];
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  h.weightDecay = o.weightDecay;
  h.stepSize = o.lr / (1 - o.betas[0] ** step);
  return h;
}

/**
 * NAdam: μₜ = β₁(1 − ½·0.96^(tψ)), the product Πμ (which the caller keeps in each parameter's
 * state as `mu_product`: pass the product before this step, 1 before the first; the product
 * after it is returned), and the weights of the gradient and of the momentum: lr·(1 − μₜ)/(1 − Πₜ)
 * and lr·μₜ₊₁/(1 − Πₜ·μₜ₊₁). PyTorch keeps the product in a float32 tensor, so it is rounded to
 * float32 here as there.
 *
 * Compatibility: PyTorch ≥ 2.0 and the paper. PyTorch 1.13 took the momentum weight's product as
 * Πₜ·μₜ·μₜ₊₁, counting μₜ twice (fixed in pytorch/pytorch#92699).
 */
export function nadamScalars(
  h: NadamHyper,
  o: { lr: number; betas: Betas; eps: number; weightDecay: number; momentumDecay: number; decoupledWeightDecay?: boolean; maximize?: boolean },
  step: number,
  muProduct: number,
): number {
  checkStep(step, 'nadamScalars');
  const beta1 = o.betas[0];
  const beta2 = o.betas[1];
  const mu = beta1 * (1 - 0.5 * 0.96 ** (step * o.momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * o.momentumDecay));
  const product = Math.fround(muProduct * mu);
  const productNext = Math.fround(product * muNext);
  h.beta1 = beta1;
  h.beta2 = beta2;
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  setWeightDecay(h, o, o.decoupledWeightDecay === true);
  h.bc2 = 1 - beta2 ** step;
  h.gradStep = (o.lr * (1 - mu)) / (1 - product);
  h.momentumStep = (o.lr * muNext) / (1 - productNext);
  return product;
}

/** PyTorch rectifies RAdam's variance when ρₜ > 5 (optax: ≥ 5). */
export const RADAM_RECTIFICATION_THRESHOLD = 5;

/**
 * RAdam: while the approximated SMA length ρₜ is at most 5 the step is momentum only
 * (plainStep = lr/(1 − β₁ᵗ)); past it, adaptive with the rectification r:
 * adaptiveStep = lr·r·√(1 − β₂ᵗ)/(1 − β₁ᵗ). The other one is 0.
 */
export function radamScalars(h: RadamHyper, o: { lr: number; betas: Betas; eps: number; weightDecay: number; decoupledWeightDecay?: boolean; maximize?: boolean }, step: number): RadamHyper {
  checkStep(step, 'radamScalars');
  const beta1 = o.betas[0];
  const beta2 = o.betas[1];
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
  h.beta1 = beta1;
  h.beta2 = beta2;
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  setWeightDecay(h, o, o.decoupledWeightDecay === true);
  if (rhoT > RADAM_RECTIFICATION_THRESHOLD) {
    const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    h.adaptiveStep = (o.lr / bc1) * rect * Math.sqrt(bc2);
    h.plainStep = 0;
  } else {
    h.adaptiveStep = 0;
    h.plainStep = o.lr / bc1;
  }
  return h;
}

/** SparseAdam: stepSize = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) (ε is added to √v before bias correction). */
export function sparseAdamScalars(h: SparseAdamHyper, o: { lr: number; betas: Betas; eps: number; maximize?: boolean }, step: number): SparseAdamHyper {
  checkStep(step, 'sparseAdamScalars');
  const beta1 = o.betas[0];
  const beta2 = o.betas[1];
  h.beta1 = beta1;
  h.beta2 = beta2;
  h.eps = o.eps;
  h.gradScale = gradientSign(o);
  h.stepSize = (o.lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  return h;
}

/** LAMB's global clip: every gradient is divided by max(G / maxGradNorm, 1); null disables. */
export function lambGradScale(globalGradNorm: number, maxGradNorm: number | null): number {
  return maxGradNorm === null ? 1 : 1 / Math.max(globalGradNorm / maxGradNorm, 1);
}

/**
 * LAMB's direction u = m̂/(√v̂ + ε) + λθ and its numbers: Adam's with lr 1 (stepSize = 1/(1 − β₁ᵗ))
 * and no decay term (LAMB adds λθ to u, which the trust ratio then measures), the gradient
 * scaled by the global clip.
 */
export function lambScalars(h: AdamHyper, o: { betas: Betas; eps: number }, step: number, gradScale: number): AdamHyper {
  checkStep(step, 'lambScalars');
  const beta1 = o.betas[0];
  const beta2 = o.betas[1];
  h.beta1 = beta1;
  h.beta2 = beta2;
  h.eps = o.eps;
  h.gradScale = gradScale;
  h.weightDecay = 0;
  h.paramDecay = 1;
  h.stepSize = 1 / (1 - beta1 ** step);
  h.bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  return h;
}

/** LAMB's trust ratio r = ‖θ‖/‖u‖ (1 where either norm is 0), capped at 1 with trustClip. */
export function lambTrustRatio(paramNorm: number, updateNorm: number, trustClip: boolean): number {
  const r = paramNorm > 0 && updateNorm > 0 ? paramNorm / updateNorm : 1;
  return trustClip ? Math.min(r, 1) : r;
}

/**
 * LARS's trust ratio r = η‖θ‖/(‖g‖ + λ‖θ‖ + ε) (1 where either norm is 0); with trustClip,
 * min(r/lr, 1).
 */
export function larsTrustRatio(paramNorm: number, gradNorm: number, o: { lr: number; weightDecay: number; trustCoefficient: number; eps: number; trustClip: boolean }): number {
  const r = paramNorm > 0 && gradNorm > 0 ? (o.trustCoefficient * paramNorm) / (gradNorm + o.weightDecay * paramNorm + o.eps) : 1;
  return o.trustClip ? Math.min(r / o.lr, 1) : r;
}

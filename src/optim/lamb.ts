/**
 * LAMB: Adam's direction, rescaled per parameter tensor by a trust ratio ‖θ‖ / ‖u‖, after
 * clipping all gradients together by their global norm (You et al., 2019).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps),
 *         c (maxGradNorm, or none), trustClip
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)                          (every tensor of every group)
 *     if c given:  G ← ‖gₜ‖ over all tensors;  gₜ ← gₜ / max(G / c, 1)
 *     for each parameter tensor θ:
 *         mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *         vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *         uₜ ← (mₜ / (1 − β₁ᵗ)) / (√(vₜ / (1 − β₂ᵗ)) + ε) + λ θₜ₋₁
 *         rₜ ← ‖θₜ₋₁‖ / ‖uₜ‖     (1 where either norm is 0)
 *         if trustClip:  rₜ ← min(rₜ, 1)
 *         θₜ ← θₜ₋₁ − γ rₜ uₜ
 * return θₜ
 * ```
 * The last row is AdamW's update with γ replaced by γ·rₜ, so the step runs Adam's kernel once
 * rₜ is known; a first pass over the same maths measures ‖uₜ‖ without storing anything.
 *
 * Compatibility: not a PyTorch class; follows test/fixtures/golden/README.md (timm's `Lamb`
 * with the trust ratio always applied). t counts each parameter's steps, which is the group's
 * step count whenever every parameter has a gradient at every step. The paper clips each
 * tensor's ‖θ‖ with a scaling function φ; optax's `lamb` has no gradient clipping and skips
 * nothing when a norm is 0 (it uses the same where-0-then-1 rule).
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdamHyper } from './kernels/index.js';
import { lambGradScale, lambScalars, lambTrustRatio } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { trustBuffers } from './wasm/fused.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { defineKernelOptimizer, flag, invalid } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps),
        c (maxGradNorm, or none), trustClip
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)                          (every tensor of every group)
    if c given:  G ← ‖gₜ‖ over all tensors;  gₜ ← gₜ / max(G / c, 1)
    for each parameter tensor θ:
        mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
        vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
        uₜ ← (mₜ / (1 − β₁ᵗ)) / (√(vₜ / (1 − β₂ᵗ)) + ε) + λ θₜ₋₁
        rₜ ← ‖θₜ₋₁‖ / ‖uₜ‖     (1 where either norm is 0)
        if trustClip:  rₜ ← min(rₜ, 1)
        θₜ ← θₜ₋₁ − γ rₜ uₜ
return θₜ
`.trim();

export interface LAMBOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-6). */
  eps: number;
  /** Decoupled weight decay λ, part of the direction the trust ratio measures (default 0). */
  weightDecay: number;
  /** Global gradient-norm clip c; null disables (default 1.0). */
  maxGradNorm: number | null;
  /** Cap the trust ratio at 1 (default false). */
  trustClip: boolean;
}

export interface LAMBState extends MomentState {
  exp_avg_sq: Tensor;
}

/** Adam's numbers, plus ‖g‖ over every gradient of every group, measured at the start of the step. */
interface LambHyper extends AdamHyper {
  globalGradNorm: number;
}

/**
 * The fused step, two passes: the Adam direction u (numbers from `lambScalars`: stepSize =
 * 1/(1 − β₁ᵗ), bc2Sqrt, the global clip as gradScale) with the norms ‖p‖ and ‖u‖ of every param,
 * then `p ← p − lr·r·u` with r the trust ratio. Returns the ratios (entry k for `indices[k]`;
 * reused by the next call).
 */
export function lambFused(arena: ParamArena, indices: readonly number[], h: AdamHyper, o: { lr: number; weightDecay: number; trustClip: boolean }): Float64Array {
  const segments = arena.writeSegments(indices, true);
  const updateOff = arena.stateOffset('update');
  arena.kernels.lambDirection(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), updateOff, h.beta1, h.beta2, h.stepSize, 1 / (h.bc2Sqrt * h.bc2Sqrt), h.eps, o.weightDecay, h.gradScale, arena.normsAddress);
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

/** One parameter on the plain path: ‖u‖ first (moments not yet stored), then AdamW's update with γ·r. */
function lambPlain(h: AdamHyper, o: Readonly<LAMBOptions>, p: Tensor, grad: Float32Array | Float64Array, s: LAMBState): void {
  const n = p.data.length;
  const invBc1 = h.stepSize;
  // Pass 1: ‖u‖ with γ = 1 (u = m̂ / (√v̂ + ε) + λθ).
  h.paramDecay = 1;
  const updateNorm = Math.sqrt(kernels.adamDirectionSumOfSquares(p.data, grad, s.exp_avg.data, s.exp_avg_sq.data, n, h, o.weightDecay));
  const trust = lambTrustRatio(Math.sqrt(kernels.sumOfSquares(p.data, n)), updateNorm, o.trustClip);
  // Pass 2: θ ← θ(1 − γrλ) − γr m̂ / (√v̂ + ε); stores the moments.
  h.stepSize = o.lr * trust * invBc1;
  h.paramDecay = 1 - o.lr * trust * o.weightDecay;
  kernels.adamUpdate(p.data, grad, s.exp_avg.data, s.exp_avg_sq.data, null, n, h);
  h.stepSize = invBc1;
}

export const lambSpec = defineKernelOptimizer<LAMBOptions, LAMBState, LambHyper>({
  id: 'lamb',
  displayName: 'LAMB',
  torchName: null,
  summary: "Adam's direction rescaled per tensor by the trust ratio ‖θ‖/‖u‖, for large batches.",
  algorithm: BOX,
  paper: { title: 'Large Batch Optimization for Deep Learning: Training BERT in 76 minutes', authors: 'You, Li, Reddi, Hseu, Kumar, Bhojanapalli, Song, Demmel, Keutzer, Hsieh', year: 2020, url: 'https://arxiv.org/abs/1904.00962' },
  options: [
    ...momentOptions({ lr: 1e-3, eps: 1e-6 }, 'Decoupled weight decay λ, part of the direction the trust ratio measures.'),
    { name: 'maxGradNorm', type: 'nullableNumber', default: 1.0, min: 0, exclusiveMin: true, range: [0.1, 10], scale: 'log', description: 'Clip all gradients together to this global norm; null disables.' },
    flag('trustClip', 'Cap the trust ratio at 1.'),
  ],
  state: momentState<LAMBOptions>('count'),
  kernels: {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, stepSize: 0, bc2Sqrt: 1, globalGradNorm: 0 }),
    prepare: (h, step) => {
      let sumSq = 0;
      for (const group of step.groups) sumSq += step.gradSumOfSquares(group);
      h.globalGradNorm = Math.sqrt(sumSq);
    },
    scalars: (h, o, run) => lambScalars(h, o, run.states[0]!.step, lambGradScale(h.globalGradNorm, o.maxGradNorm)),
    plain: (h, o, p, grad, s) => lambPlain(h, o, p, (grad as Tensor).data, s),
    fused: (h, o, arena, run) => void lambFused(arena, run.indices, h, o),
    // LAMB's direction u goes to a scratch array, so the gradient stays the caller's.
    scratch: ['update'],
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.05 }, steps: 200 },
    rosenbrock: { options: { lr: 0.03 }, steps: 1000, below: 0.01 },
    invalid: [
      invalid.lr,
      invalid.eps,
      ...invalid.betas,
      invalid.weightDecay,
      { options: { maxGradNorm: 0 }, error: /Invalid maxGradNorm value: 0/ },
      { options: { trustClip: 'yes' }, error: /Invalid trustClip value: "yes"/ },
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<LAMBOptions>, options?: Partial<LAMBOptions>) => new LAMB(params, options),
});

export const LAMB_DEFAULTS: Readonly<LAMBOptions> = lambSpec.defaults;

export class LAMB extends KernelOptimizer<LAMBOptions, LAMBState, LambHyper> {
  constructor(params: ParamsInput<LAMBOptions>, options: Partial<LAMBOptions> = {}) {
    super(params, lambSpec, options);
  }
}

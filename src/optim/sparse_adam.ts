/**
 * SparseAdam: Adam for row-sparse gradients (embeddings) that updates only the rows a step's
 * gradient names, moments included ("lazy" Adam).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), ε (eps), maximize
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq)
 * for t = 1 to … do                          (t counts this parameter's steps)
 *     gₜ ← ∇θ fₜ(θₜ₋₁), rows R (repeated rows summed)
 *     if maximize:  gₜ ← −gₜ
 *     for each row r ∈ R:
 *         mₜ[r] ← β₁ mₜ₋₁[r] + (1 − β₁) gₜ[r]
 *         vₜ[r] ← β₂ vₜ₋₁[r] + (1 − β₂) gₜ[r]²
 *         θₜ[r] ← θₜ₋₁[r] − γ (√(1 − β₂ᵗ) / (1 − β₁ᵗ)) mₜ[r] / (√vₜ[r] + ε)
 *     rows ∉ R keep θ, m and v
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.SparseAdam` (state `step` a plain number; a dense
 * gradient is an error; ε added before the bias correction, unlike Adam; lr and ε must be > 0).
 * TensorFlow's `LazyAdamOptimizer` is the same idea; optax has none.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { SparseRows } from '../tensor/sparse.js';
import { kernels, type SparseAdamHyper } from './kernels/index.js';
import { sparseAdamScalars } from './kernels/scalars.js';
import type { ParamArena, StagedRows } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { defineKernelOptimizer, invalid, maximize } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), ε (eps), maximize
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq)
for t = 1 to … do                          (t counts this parameter's steps)
    gₜ ← ∇θ fₜ(θₜ₋₁), rows R (repeated rows summed)
    if maximize:  gₜ ← −gₜ
    for each row r ∈ R:
        mₜ[r] ← β₁ mₜ₋₁[r] + (1 − β₁) gₜ[r]
        vₜ[r] ← β₂ vₜ₋₁[r] + (1 − β₂) gₜ[r]²
        θₜ[r] ← θₜ₋₁[r] − γ (√(1 − β₂ᵗ) / (1 − β₁ᵗ)) mₜ[r] / (√vₜ[r] + ε)
    rows ∉ R keep θ, m and v
return θₜ
`.trim();

export interface SparseAdamOptions {
  /** Learning rate γ, > 0 (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability, > 0 (default 1e-8). */
  eps: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface SparseAdamState extends MomentState {
  exp_avg_sq: Tensor;
}

/** The fused kernel on param i's staged rows. Note ε is added to √v, not to √v̂ as in Adam. */
export function sparseAdamFusedRows(arena: ParamArena, i: number, rows: StagedRows, h: SparseAdamHyper): void {
  const param = arena.address(i);
  arena.kernels.sparseAdamRows(param, param + arena.stateOffset('exp_avg'), param + arena.stateOffset('exp_avg_sq'), rows.valuesAddress, rows.indicesAddress, rows.rows, rows.width, h.beta1, h.beta2, h.eps, h.stepSize, h.gradScale);
}

// SparseAdam's lr and eps must be positive (PyTorch: `Invalid learning rate: 0`).
const [lrRow, betasRow, epsRow] = momentOptions({ lr: 1e-3, eps: 1e-8 }, null);

export const sparseAdamSpec = defineKernelOptimizer<SparseAdamOptions, SparseAdamState, SparseAdamHyper>({
  id: 'sparseadam',
  displayName: 'SparseAdam',
  torchName: 'SparseAdam',
  summary: 'Lazy Adam for row-sparse gradients: only the rows a gradient names move.',
  algorithm: BOX,
  paper: { title: 'Adam: A Method for Stochastic Optimization', authors: 'Kingma, Ba', year: 2015, url: 'https://arxiv.org/abs/1412.6980' },
  options: [{ ...lrRow!, exclusiveMin: true }, betasRow!, { ...epsRow!, exclusiveMin: true }, maximize],
  state: momentState<SparseAdamOptions>('count'),
  kernels: {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, stepSize: 0 }),
    scalars: (h, o, run) => sparseAdamScalars(h, o, run.states[0]!.step),
    plain: (h, _o, p, grad, s) => {
      const rows = (grad as SparseRows).coalesce();
      kernels.sparseAdamUpdate(p.data, s.exp_avg.data, s.exp_avg_sq.data, rows.indices, rows.values.data, rows.rowSize, h);
    },
    // Every gradient is row-sparse: on the fused path each parameter's rows take their own call.
    fusedRows: (h, _o, arena, run) => sparseAdamFusedRows(arena, run.indices[0]!, run.rows!, h),
  },
  gradients: 'sparse',
  gradientHint: ', please consider Adam instead',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.1 }, steps: 1000, below: 0.01 },
    invalid: [
      { options: { lr: 0 }, error: /Invalid learning rate: 0/ },
      { options: { eps: 0 }, error: /Invalid eps value: 0/ },
      ...invalid.betas,
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<SparseAdamOptions>, options?: Partial<SparseAdamOptions>) => new SparseAdam(params, options),
});

export const SPARSE_ADAM_DEFAULTS: Readonly<SparseAdamOptions> = sparseAdamSpec.defaults;

export class SparseAdam extends KernelOptimizer<SparseAdamOptions, SparseAdamState, SparseAdamHyper> {
  constructor(params: ParamsInput<SparseAdamOptions>, options: Partial<SparseAdamOptions> = {}) {
    super(params, sparseAdamSpec, options);
  }
}

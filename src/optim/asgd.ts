/**
 * ASGD: SGD whose step size ηₜ decays with t, plus the running average of the iterates, which
 * converges faster than the iterates themselves (Polyak & Juditsky, 1992).
 *
 * ```text
 * input:  γ (lr), θ₀ (params), f(θ) (objective), λ (lambd), α (alpha), t₀ (t0),
 *         λ_wd (weightDecay), maximize
 * initialize:  η₀ ← γ (eta), μ₀ ← 1 (mu), ax₀ ← 0 (ax)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ_wd ≠ 0:  gₜ ← gₜ + λ_wd θₜ₋₁
 *     θₜ ← (1 − λ ηₜ₋₁) θₜ₋₁ − ηₜ₋₁ gₜ
 *     axₜ ← axₜ₋₁ + μₜ₋₁ (θₜ − axₜ₋₁)
 *     ηₜ ← γ / (1 + λ γ t)^α
 *     μₜ ← 1 / max(1, t − t₀)
 * return θₜ (and the average axₜ)
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.ASGD` on CPU (its single-tensor path; the
 * multi-tensor path used on GPUs computes 1 + λγt^α instead). `step`, `eta` and `mu` are 0-d
 * float32 tensors in PyTorch's state dict, so η and μ are rounded to float32 here too. With
 * μ = 1 PyTorch copies θ into `ax`; μθ + (1 − μ)ax gives the same numbers. PyTorch checks only
 * lr and weight_decay; descent also refuses negative λ, α and t₀, with which η grows or μ
 * never starts. optax has no ASGD.
 */
import type { FloatArray, Tensor } from '../tensor/tensor.js';
import { gradientSign } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, invalid, lr, maximize, weightDecay, type Run } from './spec.js';

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), λ (lambd), α (alpha), t₀ (t0),
        λ_wd (weightDecay), maximize
initialize:  η₀ ← γ (eta), μ₀ ← 1 (mu), ax₀ ← 0 (ax)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ_wd ≠ 0:  gₜ ← gₜ + λ_wd θₜ₋₁
    θₜ ← (1 − λ ηₜ₋₁) θₜ₋₁ − ηₜ₋₁ gₜ
    axₜ ← axₜ₋₁ + μₜ₋₁ (θₜ − axₜ₋₁)
    ηₜ ← γ / (1 + λ γ t)^α
    μₜ ← 1 / max(1, t − t₀)
return θₜ (and the average axₜ)
`.trim();

export interface ASGDOptions {
  /** Learning rate γ: the first step size (default 1e-2). */
  lr: number;
  /** Decay term λ: of the step size, and of θ each step (default 1e-4). */
  lambd: number;
  /** Power α of the step size's decay (default 0.75). */
  alpha: number;
  /** Step after which averaging starts (default 1e6). */
  t0: number;
  /** L2 penalty λ_wd added to the gradient (default 0). */
  weightDecay: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface ASGDState {
  [key: string]: number | Tensor;
  step: number;
  eta: number;
  mu: number;
  ax: Tensor;
}

export interface AsgdHyper {
  /** −1 to maximize. */
  gradScale: number;
  weightDecay: number;
  /** η of this step: the one the state kept from the step before. */
  eta: number;
  /** 1 − λη: the decay term's factor. */
  paramDecay: number;
  /** μ of this step: the weight of the new iterate in the average. */
  mu: number;
}

/**
 * g = s·g + λ_wd·w;  w ← (1 − λη)·w − η·g;  ax ← μ·w + (1 − μ)·ax.
 * μ·w + (1 − μ)·ax rather than ax + μ(w − ax): with μ = 1 (until t₀) the average is then
 * exactly the iterate, as PyTorch copies it.
 */
export function asgdUpdate(param: FloatArray, grad: FloatArray, ax: FloatArray, n: number, h: AsgdHyper): void {
  const { gradScale, weightDecay, eta, paramDecay, mu } = h;
  const keep = 1 - mu;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const next = paramDecay * w - eta * (gradScale * grad[i]! + weightDecay * w);
    param[i] = next;
    ax[i] = mu * next + keep * ax[i]!;
  }
}

/** The fused kernel over the listed params of an arena. */
export function asgdFused(arena: ParamArena, indices: readonly number[], h: AsgdHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.asgd(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('ax'), h.gradScale, h.weightDecay, h.eta, h.paramDecay, h.mu);
}

/**
 * This step's η and μ from the run's state (they agree across the run), then the next step's
 * into every state of the run: η = γ/(1 + λγt)^α, μ = 1/max(1, t − t₀), float32 as in PyTorch.
 */
function asgdScalars(h: AsgdHyper, o: Readonly<ASGDOptions>, run: Run<ASGDState>): void {
  const first = run.states[0]!;
  h.gradScale = gradientSign(o);
  h.weightDecay = o.weightDecay;
  h.eta = first.eta;
  h.paramDecay = 1 - o.lambd * first.eta;
  h.mu = first.mu;
  const t = first.step;
  const eta = Math.fround(o.lr / (1 + o.lambd * o.lr * t) ** o.alpha);
  const mu = Math.fround(1 / Math.max(1, t - o.t0));
  for (const s of run.states) {
    s.eta = eta;
    s.mu = mu;
  }
}

export const asgdSpec = defineKernelOptimizer<ASGDOptions, ASGDState, AsgdHyper>({
  id: 'asgd',
  displayName: 'ASGD',
  torchName: 'ASGD',
  summary: 'SGD with a decaying step size and the running average of its iterates.',
  algorithm: BOX,
  paper: { title: 'Acceleration of stochastic approximation by averaging', authors: 'Polyak, Juditsky', year: 1992, url: 'https://doi.org/10.1137/0330046' },
  options: [
    lr(1e-2),
    { name: 'lambd', type: 'number', default: 1e-4, min: 0, range: [0, 1e-2], scale: 'linear', description: 'Decay term λ: of the step size, and of θ each step.' },
    { name: 'alpha', type: 'number', default: 0.75, min: 0, range: [0, 1], scale: 'linear', description: 'Power α of the step size’s decay, ηₜ = γ/(1 + λγt)^α.' },
    { name: 't0', type: 'number', default: 1e6, min: 0, range: [0, 1e4], scale: 'linear', description: 'The step after which the average of the iterates starts.' },
    weightDecay(),
    maximize,
  ],
  torchGroupKeys: { foreach: null, differentiable: false, capturable: false },
  lrSeedsState: 'each step uses the η computed at the step before, so an lr edit shows one step later',
  state: { step: { kind: 'count0d' }, eta: { kind: 'number0d', initial: (o) => Math.fround(o.lr) }, mu: { kind: 'number0d', initial: 1 }, ax: { kind: 'param' } },
  kernels: {
    hyper: () => ({ gradScale: 1, weightDecay: 0, eta: 0, paramDecay: 1, mu: 1 }),
    scalars: asgdScalars,
    plain: (h, _o, p, grad, s) => asgdUpdate(p.data, (grad as Tensor).data, s.ax.data, p.data.length, h),
    fused: (h, _o, arena, run) => asgdFused(arena, run.indices, h),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 100 },
    rosenbrock: { options: { lr: 1e-3 }, steps: 1000, below: 0.05 },
    invalid: [
      invalid.lr,
      { options: { lambd: -1e-4 }, error: /Invalid lambd value: -0\.0001/ },
      { options: { alpha: -0.5 }, error: /Invalid alpha value: -0\.5/ },
      { options: { t0: -1 }, error: /Invalid t0 value: -1/ },
      invalid.weightDecay,
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<ASGDOptions>, options?: Partial<ASGDOptions>) => new ASGD(params, options),
});

export const ASGD_DEFAULTS: Readonly<ASGDOptions> = asgdSpec.defaults;

export class ASGD extends KernelOptimizer<ASGDOptions, ASGDState, AsgdHyper> {
  constructor(params: ParamsInput<ASGDOptions>, options: Partial<ASGDOptions> = {}) {
    super(params, asgdSpec, options);
  }
}

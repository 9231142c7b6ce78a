/**
 * The optimizer registry: one spec per optimizer, read by the contract tests, `descent describe`,
 * CLI flags and the playground's sliders. It is a separate entry point (`descent/registry`), not
 * part of `descent`, because it imports every optimizer: a program that imports `Adam` from
 * `descent` bundles Adam only.
 *
 * Adding an optimizer: its file and kernel, one `defineSpec` below, one export line in index.ts.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer, ParamsInput } from './optimizer.js';
import { SGD, SGD_DEFAULTS, type SGDOptions } from './sgd.js';
import { Adagrad, ADAGRAD_DEFAULTS, type AdagradOptions } from './adagrad.js';
import { RMSprop, RMSPROP_DEFAULTS, type RMSpropOptions } from './rmsprop.js';
import { Adam, ADAM_DEFAULTS, type AdamOptions } from './adam.js';
import { AdamW, ADAMW_DEFAULTS, type AdamWOptions } from './adamw.js';
import { Adadelta, ADADELTA_DEFAULTS, type AdadeltaOptions } from './adadelta.js';
import { Adamax, ADAMAX_DEFAULTS, type AdamaxOptions } from './adamax.js';
import { NAdam, NADAM_DEFAULTS, type NAdamOptions } from './nadam.js';
import { RAdam, RADAM_DEFAULTS, type RAdamOptions } from './radam.js';
import { SparseAdam, SPARSE_ADAM_DEFAULTS, type SparseAdamOptions } from './sparse_adam.js';
import { LAMB, LAMB_DEFAULTS, type LAMBOptions } from './lamb.js';
import { LARS, LARS_DEFAULTS, type LARSOptions } from './lars.js';
import { LBFGS, LBFGS_DEFAULTS, type LBFGSOptions } from './lbfgs.js';
import { Lookahead, LOOKAHEAD_DEFAULTS, type LookaheadOptions } from './lookahead.js';
import { SAM, SAM_DEFAULTS, type SAMOptions } from './sam.js';
import type { OptimizerLike } from './wrapper.js';

// ---------------------------------------------------------------------------------------------
// Spec types

/** One option, as a CLI flag or a slider shows it. */
export interface OptionSpec {
  /** descent's (camelCase) name; PyTorch's is its snake_case form. */
  name: string;
  /**
   * `betas`: a pair of numbers in [0, 1); `nullableNumber`: a number or null (LAMB's
   * maxGradNorm); `choice`: one of `choices` (LBFGS's lineSearchFn).
   */
  type: 'number' | 'boolean' | 'betas' | 'nullableNumber' | 'choice';
  choices?: readonly unknown[];
  /** PyTorch's default; undefined where there is none (SGD's lr). */
  default: unknown;
  /** The valid values (what the constructor accepts). */
  min?: number;
  max?: number;
  /** min (or max) itself is invalid. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  /** A sensible range for a slider, and its scale. */
  range?: [number, number];
  scale?: 'linear' | 'log';
  description: string;
}

export interface PaperReference {
  title: string;
  authors: string;
  year: number;
  url: string;
}

/** Configurations the contract suite runs (test/optim.contract.test.ts). */
export interface TestConfigs<O> {
  /** Options under which L(w) = ½ Σ a (w − b)² falls to a tenth within `steps` steps. */
  quadratic: { options: Partial<O>; steps: number };
  /** Options under which Rosenbrock's function from (−1.2, 1) falls to `below` times its start within `steps`. */
  rosenbrock: { options: Partial<O>; steps: number; below: number };
  /** Option values the constructor must refuse, with (part of) the message it must give. */
  invalid: Array<{ options: Record<string, unknown>; error: RegExp }>;
}

export interface OptimizerSpec<O extends object = Record<string, unknown>> {
  /** Lowercase id (`adam`), for CLI flags and URLs. */
  id: string;
  /** The class name (`Adam`). */
  displayName: string;
  /** PyTorch's class name, or null for optimizers PyTorch does not have. */
  torchName: string | null;
  /** One line for `descent describe` and tooltips. */
  summary: string;
  create(params: ParamsInput<O>, options?: Partial<O>): Optimizer<O>;
  defaults: Readonly<O>;
  options: readonly OptionSpec[];
  /** The algorithm box of the optimizer's file (Unicode math). */
  algorithm: string;
  paper: PaperReference;
  /** Bytes of optimizer state per float32 parameter element under these options. */
  stateBytesPerParam(options?: Partial<O>): number;
  /** `step(closure)` needs a closure (re-evaluates the loss). */
  needsClosure: boolean;
  /** Which gradients it accepts. */
  gradients: 'dense' | 'sparse' | 'dense-or-sparse';
  /**
   * `per-parameter`: each parameter has its own state entry (moments, buffers), so a state dict
   * can be matched by name. `flat`: one entry for all parameters seen as one vector (LBFGS), tied
   * to their order; one param group only.
   */
  stateKind: 'per-parameter' | 'flat';
  testConfigs: TestConfigs<O>;
}

/** Keeps each spec's option types checked while the list holds them under one type. */
function defineSpec<O extends object>(spec: OptimizerSpec<O>): OptimizerSpec {
  return spec as unknown as OptimizerSpec;
}

// ---------------------------------------------------------------------------------------------
// Shared option specs

const lr = (def: number | undefined, description = 'Learning rate: the step size.'): OptionSpec => ({
  name: 'lr', type: 'number', default: def, min: 0, range: [1e-5, 1], scale: 'log', description,
});
const weightDecay = (def = 0, description = 'L2 penalty λ added to the gradient.'): OptionSpec => ({
  name: 'weightDecay', type: 'number', default: def, min: 0, range: [0, 0.1], scale: 'linear', description,
});
const eps = (def: number, description = 'Added to the denominator for numerical stability.'): OptionSpec => ({
  name: 'eps', type: 'number', default: def, min: 0, range: [1e-12, 1e-3], scale: 'log', description,
});
const betas = (description = 'Decay rates (β₁, β₂) of the first and second moment averages.'): OptionSpec => ({
  name: 'betas', type: 'betas', default: [0.9, 0.999], min: 0, max: 1, exclusiveMax: true, range: [0, 0.9999], description,
});
const maximize: OptionSpec = { name: 'maximize', type: 'boolean', default: false, description: 'Climb the objective instead of descending it.' };
const momentum = (description = 'Momentum factor μ: how much of the previous step carries over.'): OptionSpec => ({
  name: 'momentum', type: 'number', default: 0, min: 0, range: [0, 0.99], scale: 'linear', description,
});

const invalidLr = { options: { lr: -1 }, error: /Invalid learning rate: -1/ };
const invalidEps = { options: { eps: -1e-8 }, error: /Invalid eps value: -1e-8/ };
const invalidWeightDecay = { options: { weightDecay: -0.1 }, error: /Invalid weightDecay value: -0\.1/ };
const invalidBetas = [
  { options: { betas: [1.5, 0.999] }, error: /Invalid beta parameter at index 0: 1\.5/ },
  { options: { betas: [0.9, -0.1] }, error: /Invalid beta parameter at index 1: -0\.1/ },
];
const invalidMaximize = { options: { maximize: 'yes' }, error: /Invalid maximize value: "yes"/ };
const unknownOption = { options: { learningRate: 0.1 }, error: /unknown option 'learningRate'/ };

const FLOAT32_BYTES = 4;

// ---------------------------------------------------------------------------------------------
// Algorithm boxes (the same text opens each optimizer's file; a test keeps them in step)

const SGD_BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), λ (weightDecay), μ (momentum),
        τ (dampening), nesterov, maximize
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    if μ ≠ 0:
        if t > 1:  bₜ ← μ bₜ₋₁ + (1 − τ) gₜ
        else:      bₜ ← gₜ
        if nesterov:  gₜ ← gₜ + μ bₜ
        else:         gₜ ← bₜ
    θₜ ← θₜ₋₁ − γ gₜ
return θₜ
`.trim();

const ADAGRAD_BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), λ (weightDecay), τ (initialAccumulatorValue),
        η (lrDecay), ε (eps), maximize
initialize:  state_sum₀ ← τ
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    γ̃ ← γ / (1 + (t − 1) η)
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    state_sumₜ ← state_sumₜ₋₁ + gₜ²
    θₜ ← θₜ₋₁ − γ̃ gₜ / (√state_sumₜ + ε)
return θₜ
`.trim();

const RMSPROP_BOX = `
input:  α (lr), θ₀ (params), f(θ) (objective), ρ (alpha), ε (eps), λ (weightDecay),
        μ (momentum), centered, maximize
initialize:  v₀ ← 0 (square_avg), b₀ ← 0 (momentum_buffer), g₀ᵃᵛᵍ ← 0 (grad_avg)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
    ṽₜ ← vₜ
    if centered:
        gₜᵃᵛᵍ ← ρ gₜ₋₁ᵃᵛᵍ + (1 − ρ) gₜ
        ṽₜ ← ṽₜ − (gₜᵃᵛᵍ)²
    if μ > 0:
        bₜ ← μ bₜ₋₁ + gₜ / (√ṽₜ + ε)
        θₜ ← θₜ₋₁ − α bₜ
    else:
        θₜ ← θₜ₋₁ − α gₜ / (√ṽₜ + ε)
return θₜ
`.trim();

const ADAM_BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ε (eps), amsgrad, maximize
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:
        Adam:   gₜ ← gₜ + λ θₜ₋₁                 (L2, through the moments)
        AdamW:  θₜ₋₁ ← θₜ₋₁ (1 − γλ)               (decoupled, see adamw.ts)
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← mₜ / (1 − β₁ᵗ)
    if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
    else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
    θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
return θₜ
`.trim();

const ADAMW_BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ε (eps), amsgrad, maximize
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    θₜ ← θₜ₋₁ − γλ θₜ₋₁
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← mₜ / (1 − β₁ᵗ)
    if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
    else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
    θₜ ← θₜ − γ m̂ₜ / (√v̂ₜ + ε)
return θₜ
`.trim();

const ADADELTA_BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), ρ (rho), λ (weightDecay), ε (eps), maximize
initialize:  v₀ ← 0 (square_avg), u₀ ← 0 (acc_delta)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
    Δxₜ ← (√(uₜ₋₁ + ε) / √(vₜ + ε)) gₜ
    uₜ ← ρ uₜ₋₁ + (1 − ρ) Δxₜ²
    θₜ ← θₜ₋₁ − γ Δxₜ
return θₜ
`.trim();

const ADAMAX_BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps), maximize
initialize:  m₀ ← 0 (exp_avg), u₀ ← 0 (exp_inf)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    uₜ ← max(β₂ uₜ₋₁, |gₜ| + ε)
    θₜ ← θₜ₋₁ − γ mₜ / ((1 − β₁ᵗ) uₜ)
return θₜ
`.trim();

const NADAM_BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ψ (momentumDecay), ε (eps)
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), Π₀ ← 1 (mu_product)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if λ ≠ 0:  gₜ ← gₜ + λ θₜ₋₁
    μₜ ← β₁ (1 − ½ · 0.96^(tψ))
    μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1)ψ))
    Πₜ ← Πₜ₋₁ μₜ
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← μₜ₊₁ mₜ / (1 − Πₜ μₜ μₜ₊₁) + (1 − μₜ) gₜ / (1 − Πₜ)     (PyTorch 1.13; see below)
    v̂ₜ ← vₜ / (1 − β₂ᵗ)
    θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
return θₜ
`.trim();

const RADAM_BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps)
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), ρ∞ ← 2 / (1 − β₂) − 1
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if λ ≠ 0:  gₜ ← gₜ + λ θₜ₋₁
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← mₜ / (1 − β₁ᵗ)
    ρₜ ← ρ∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
    if ρₜ > 5:
        lₜ ← √(1 − β₂ᵗ) / (√vₜ + ε)
        rₜ ← √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
        θₜ ← θₜ₋₁ − γ m̂ₜ rₜ lₜ
    else:
        θₜ ← θₜ₋₁ − γ m̂ₜ
return θₜ
`.trim();

const SPARSE_ADAM_BOX = `
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

const LAMB_BOX = `
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

const LARS_BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), η (trustCoefficient), λ (weightDecay),
        μ (momentum), τ (dampening), ε (eps), nesterov, trustClip
for t = 1 to … do
    for each parameter tensor θ:
        gₜ ← ∇θ fₜ(θₜ₋₁)
        rₜ ← η ‖θₜ₋₁‖ / (‖gₜ‖ + λ ‖θₜ₋₁‖ + ε)     (1 where ‖θₜ₋₁‖ or ‖gₜ‖ is 0)
        if trustClip:  rₜ ← min(rₜ / γ, 1)
        gₜ ← (gₜ + λ θₜ₋₁) rₜ
        then SGD's rows (sgd.ts):
        if μ ≠ 0:
            if t > 1:  bₜ ← μ bₜ₋₁ + (1 − τ) gₜ
            else:      bₜ ← gₜ
            if nesterov:  gₜ ← gₜ + μ bₜ
            else:         gₜ ← bₜ
        θₜ ← θₜ₋₁ − γ gₜ
return θₜ
`.trim();

const LBFGS_BOX = `
input: x₀ (all params as one flat vector), f (the closure), lr, maxIter, maxEval,
       toleranceGrad, toleranceChange, historySize m, lineSearchFn
each step(closure):
  f, g ← closure()                                      (its loss is what step returns)
  if ‖g‖∞ ≤ toleranceGrad: return
  repeat at most maxIter times:
    if this is the very first iteration: d ← −g, H₀ ← 1
    else:
      y ← g − g_prev,  s ← t·d
      if yᵀs > 10⁻¹⁰: keep (y, s, ρ = 1/yᵀs), forgetting the oldest beyond m;  H₀ ← yᵀs / yᵀy
      d ← −H·g                                          (two-loop recursion over the pairs)
    g_prev ← g
    t ← min(1, 1/‖g‖₁)·lr on the very first iteration, else lr
    if gᵀd > −toleranceChange: stop
    if lineSearchFn = 'strong_wolfe': t, f, g ← strong Wolfe search along d from t;  x ← x + t·d
    else: x ← x + t·d;  f, g ← closure() unless this is the last iteration
    stop if: maxIter iterations | maxEval evaluations | ‖g‖∞ ≤ toleranceGrad
             | ‖t·d‖∞ ≤ toleranceChange | |f − f_prev| < toleranceChange
`.trim();

const LOOKAHEAD_BOX = `
input:  θ (params), an inner optimizer A, k (sync period), α (slow step size)
initialize:  φ ← θ                                (slow weights, when the wrapper is built)
for t = 1 to … do
    θ ← A.step(θ)                                  (fast weights: one inner step)
    if t mod k = 0:
        φ ← φ + α (θ − φ)
        θ ← φ
return θ
`.trim();

const SAM_BOX = `
input:  w (params), an inner optimizer A, ρ (rho, the ball's radius), adaptive
each step(closure):
    L, g ← closure() at w                            (L is what step returns)
    if adaptive:  N ← ‖ |w| ⊙ g ‖₂,   e ← ρ · w² ⊙ g / (N + 10⁻¹²)
    else:         N ← ‖ g ‖₂,         e ← ρ · g / (N + 10⁻¹²)
    w ← w + e                                        (ascend to the ball's worst point)
    g ← ∇L(w)  (closure() again)
    w ← w − e   (restored exactly: the saved values, not a subtraction)
    A.step() with g
`.trim();

// ---------------------------------------------------------------------------------------------
// The specs

const sgd = defineSpec<SGDOptions>({
  id: 'sgd',
  displayName: 'SGD',
  torchName: 'SGD',
  summary: 'Stochastic gradient descent with optional (Nesterov) momentum.',
  create: (params, options) => new SGD(params, options),
  defaults: SGD_DEFAULTS,
  options: [
    lr(undefined, 'Learning rate: the step size. Required (PyTorch 1.13 has no default).'),
    momentum(),
    { name: 'dampening', type: 'number', default: 0, range: [0, 1], scale: 'linear', description: 'Dampening τ: the new gradient enters the momentum with weight 1 − τ.' },
    weightDecay(),
    { name: 'nesterov', type: 'boolean', default: false, description: 'Nesterov momentum: step along g + μ·buf (needs momentum > 0, dampening 0).' },
    maximize,
  ],
  algorithm: SGD_BOX,
  paper: { title: 'On the importance of initialization and momentum in deep learning', authors: 'Sutskever, Martens, Dahl, Hinton', year: 2013, url: 'https://proceedings.mlr.press/v28/sutskever13.html' },
  stateBytesPerParam: (o = {}) => ((o.momentum ?? 0) > 0 ? FLOAT32_BYTES : 0),
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1, momentum: 0.9 }, steps: 100 },
    rosenbrock: { options: { lr: 1e-3, momentum: 0.9 }, steps: 1000, below: 0.01 },
    invalid: [
      invalidLr,
      { options: { lr: 0.1, momentum: -0.5 }, error: /Invalid momentum value: -0\.5/ },
      { options: { lr: 0.1, weightDecay: -0.1 }, error: /Invalid weightDecay value: -0\.1/ },
      { options: { lr: 0.1, nesterov: true }, error: /Nesterov momentum requires a momentum and zero dampening/ },
      { options: { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, error: /Nesterov momentum requires a momentum and zero dampening/ },
      { options: {}, error: /lr is required/ },
      { options: { lr: 0.1, maximize: 'yes' }, error: /Invalid maximize value: "yes"/ },
      { options: { lr: 0.1, learningRate: 0.1 }, error: /unknown option 'learningRate'/ },
    ],
  },
});

const adagrad = defineSpec<AdagradOptions>({
  id: 'adagrad',
  displayName: 'Adagrad',
  torchName: 'Adagrad',
  summary: 'Per-coordinate steps that shrink with the sum of all squared gradients so far.',
  create: (params, options) => new Adagrad(params, options),
  defaults: ADAGRAD_DEFAULTS,
  options: [
    lr(1e-2),
    { name: 'lrDecay', type: 'number', default: 0, min: 0, range: [0, 0.1], scale: 'linear', description: 'Step t uses lr / (1 + (t − 1)·lrDecay).' },
    weightDecay(0, 'L2 penalty λ added to the gradient (dense gradients only).'),
    { name: 'initialAccumulatorValue', type: 'number', default: 0, min: 0, range: [0, 1], scale: 'linear', description: 'Starting value of the sum of squared gradients.' },
    eps(1e-10),
    maximize,
  ],
  algorithm: ADAGRAD_BOX,
  paper: { title: 'Adaptive Subgradient Methods for Online Learning and Stochastic Optimization', authors: 'Duchi, Hazan, Singer', year: 2011, url: 'https://jmlr.org/papers/v12/duchi11a.html' },
  stateBytesPerParam: () => FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'dense-or-sparse',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.5 }, steps: 100 },
    rosenbrock: { options: { lr: 1 }, steps: 1000, below: 0.01 },
    invalid: [
      invalidLr,
      { options: { lrDecay: -1 }, error: /Invalid lrDecay value: -1/ },
      invalidWeightDecay,
      { options: { initialAccumulatorValue: -0.1 }, error: /Invalid initialAccumulatorValue value: -0\.1/ },
      invalidEps,
      invalidMaximize,
      unknownOption,
    ],
  },
});

const rmsprop = defineSpec<RMSpropOptions>({
  id: 'rmsprop',
  displayName: 'RMSprop',
  torchName: 'RMSprop',
  summary: 'Steps divided by a running root-mean-square of recent gradients.',
  create: (params, options) => new RMSprop(params, options),
  defaults: RMSPROP_DEFAULTS,
  options: [
    lr(1e-2),
    { name: 'alpha', type: 'number', default: 0.99, min: 0, range: [0.5, 0.999], scale: 'linear', description: 'Smoothing constant ρ of the squared-gradient average.' },
    eps(1e-8),
    weightDecay(),
    momentum(),
    { name: 'centered', type: 'boolean', default: false, description: 'Divide by the estimated variance v − (E g)² instead of v.' },
    maximize,
  ],
  algorithm: RMSPROP_BOX,
  paper: { title: 'Neural Networks for Machine Learning, Lecture 6e: rmsprop', authors: 'Hinton, Srivastava, Swersky', year: 2012, url: 'https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf' },
  stateBytesPerParam: (o = {}) => FLOAT32_BYTES * (1 + ((o.momentum ?? 0) > 0 ? 1 : 0) + (o.centered ? 1 : 0)),
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.02 }, steps: 200 },
    rosenbrock: { options: { lr: 0.01 }, steps: 1000, below: 0.01 },
    invalid: [
      invalidLr,
      { options: { alpha: -0.5 }, error: /Invalid alpha value: -0\.5/ },
      invalidEps,
      invalidWeightDecay,
      { options: { momentum: -0.9 }, error: /Invalid momentum value: -0\.9/ },
      { options: { centered: 1 }, error: /Invalid centered value: 1/ },
      invalidMaximize,
      unknownOption,
    ],
  },
});

const adamInvalid = [
  invalidLr,
  invalidEps,
  ...invalidBetas,
  invalidWeightDecay,
  { options: { amsgrad: 'no' }, error: /Invalid amsgrad value: "no"/ },
  invalidMaximize,
  unknownOption,
];

const adam = defineSpec<AdamOptions>({
  id: 'adam',
  displayName: 'Adam',
  torchName: 'Adam',
  summary: 'Momentum plus per-coordinate RMS scaling, both bias-corrected; AMSGrad as an option.',
  create: (params, options) => new Adam(params, options),
  defaults: ADAM_DEFAULTS,
  options: [
    lr(1e-3),
    betas(),
    eps(1e-8),
    weightDecay(0, 'L2 penalty λ added to the gradient (coupled; see AdamW for decoupled decay).'),
    { name: 'amsgrad', type: 'boolean', default: false, description: 'AMSGrad: divide by the running maximum of the second moment.' },
    maximize,
  ],
  algorithm: ADAM_BOX,
  paper: { title: 'Adam: A Method for Stochastic Optimization', authors: 'Kingma, Ba', year: 2015, url: 'https://arxiv.org/abs/1412.6980' },
  stateBytesPerParam: (o = {}) => FLOAT32_BYTES * (o.amsgrad ? 3 : 2),
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.1 }, steps: 1000, below: 0.01 },
    invalid: adamInvalid,
  },
});

const adamw = defineSpec<AdamWOptions>({
  id: 'adamw',
  displayName: 'AdamW',
  torchName: 'AdamW',
  summary: 'Adam with weight decay decoupled from the gradient.',
  create: (params, options) => new AdamW(params, options),
  defaults: ADAMW_DEFAULTS,
  options: [
    lr(1e-3),
    betas(),
    eps(1e-8),
    weightDecay(1e-2, 'Decoupled weight decay λ: each step shrinks θ by γλθ.'),
    { name: 'amsgrad', type: 'boolean', default: false, description: 'AMSGrad: divide by the running maximum of the second moment.' },
    maximize,
  ],
  algorithm: ADAMW_BOX,
  paper: { title: 'Decoupled Weight Decay Regularization', authors: 'Loshchilov, Hutter', year: 2019, url: 'https://arxiv.org/abs/1711.05101' },
  stateBytesPerParam: (o = {}) => FLOAT32_BYTES * (o.amsgrad ? 3 : 2),
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1, weightDecay: 1e-4 }, steps: 150 },
    rosenbrock: { options: { lr: 0.1, weightDecay: 1e-4 }, steps: 1000, below: 0.01 },
    invalid: adamInvalid,
  },
});

const adadelta = defineSpec<AdadeltaOptions>({
  id: 'adadelta',
  displayName: 'Adadelta',
  torchName: 'Adadelta',
  summary: 'Steps sized by the RMS of past updates over the RMS of past gradients.',
  create: (params, options) => new Adadelta(params, options),
  defaults: ADADELTA_DEFAULTS,
  options: [
    lr(1.0, 'Scale of the step (the paper has none: 1).'),
    { name: 'rho', type: 'number', default: 0.9, min: 0, max: 1, range: [0.5, 0.999], scale: 'linear', description: 'Decay ρ of both running averages.' },
    eps(1e-6, 'Added inside both square roots; sets the size of the first steps.'),
    weightDecay(),
    maximize,
  ],
  algorithm: ADADELTA_BOX,
  paper: { title: 'ADADELTA: An Adaptive Learning Rate Method', authors: 'Zeiler', year: 2012, url: 'https://arxiv.org/abs/1212.5701' },
  stateBytesPerParam: () => 2 * FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 1, eps: 1e-2 }, steps: 200 },
    rosenbrock: { options: {}, steps: 1000, below: 0.05 },
    invalid: [
      invalidLr,
      { options: { rho: 1.5 }, error: /Invalid rho value: 1\.5/ },
      invalidEps,
      invalidWeightDecay,
      invalidMaximize,
      unknownOption,
    ],
  },
});

const adamax = defineSpec<AdamaxOptions>({
  id: 'adamax',
  displayName: 'Adamax',
  torchName: 'Adamax',
  summary: 'Adam with an exponentially weighted infinity norm in place of the RMS.',
  create: (params, options) => new Adamax(params, options),
  defaults: ADAMAX_DEFAULTS,
  options: [lr(2e-3), betas('Decay rates (β₁, β₂) of the first moment and of the infinity norm.'), eps(1e-8), weightDecay(), maximize],
  algorithm: ADAMAX_BOX,
  paper: { title: 'Adam: A Method for Stochastic Optimization (section 7.1, AdaMax)', authors: 'Kingma, Ba', year: 2015, url: 'https://arxiv.org/abs/1412.6980' },
  stateBytesPerParam: () => 2 * FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.3 }, steps: 1000, below: 0.01 },
    invalid: [invalidLr, invalidEps, ...invalidBetas, invalidWeightDecay, invalidMaximize, unknownOption],
  },
});

const nadam = defineSpec<NAdamOptions>({
  id: 'nadam',
  displayName: 'NAdam',
  torchName: 'NAdam',
  summary: 'Adam with Nesterov momentum and a warming momentum schedule.',
  create: (params, options) => new NAdam(params, options),
  defaults: NADAM_DEFAULTS,
  options: [
    lr(2e-3),
    betas(),
    eps(1e-8),
    weightDecay(),
    { name: 'momentumDecay', type: 'number', default: 4e-3, min: 0, range: [0, 0.1], scale: 'linear', description: 'ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)).' },
  ],
  algorithm: NADAM_BOX,
  paper: { title: 'Incorporating Nesterov Momentum into Adam', authors: 'Dozat', year: 2016, url: 'https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ' },
  stateBytesPerParam: () => 2 * FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.03 }, steps: 1000, below: 0.01 },
    invalid: [invalidLr, invalidEps, ...invalidBetas, invalidWeightDecay, { options: { momentumDecay: -1 }, error: /Invalid momentumDecay value: -1/ }, unknownOption],
  },
});

const radam = defineSpec<RAdamOptions>({
  id: 'radam',
  displayName: 'RAdam',
  torchName: 'RAdam',
  summary: 'Adam whose adaptive step is rectified, and off until its variance is tractable.',
  create: (params, options) => new RAdam(params, options),
  defaults: RADAM_DEFAULTS,
  options: [lr(1e-3), betas(), eps(1e-8), weightDecay()],
  algorithm: RADAM_BOX,
  paper: { title: 'On the Variance of the Adaptive Learning Rate and Beyond', authors: 'Liu, Jiang, He, Chen, Liu, Gao, Han', year: 2020, url: 'https://arxiv.org/abs/1908.03265' },
  stateBytesPerParam: () => 2 * FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    // RAdam's first five steps are plain momentum SGD, which needs a small lr on Rosenbrock's steep
    // walls; β₂ = 0.99 then lets the rectified steps grow fast enough along the valley.
    rosenbrock: { options: { lr: 3e-3, betas: [0.9, 0.99] }, steps: 3000, below: 0.01 },
    invalid: [invalidLr, invalidEps, ...invalidBetas, invalidWeightDecay, unknownOption],
  },
});

const sparseAdam = defineSpec<SparseAdamOptions>({
  id: 'sparseadam',
  displayName: 'SparseAdam',
  torchName: 'SparseAdam',
  summary: 'Lazy Adam for row-sparse gradients: only the rows a gradient names move.',
  create: (params, options) => new SparseAdam(params, options),
  defaults: SPARSE_ADAM_DEFAULTS,
  options: [
    { ...lr(1e-3), min: 0, exclusiveMin: true },
    betas(),
    { ...eps(1e-8), min: 0, exclusiveMin: true },
    maximize,
  ],
  algorithm: SPARSE_ADAM_BOX,
  paper: { title: 'Adam: A Method for Stochastic Optimization', authors: 'Kingma, Ba', year: 2015, url: 'https://arxiv.org/abs/1412.6980' },
  stateBytesPerParam: () => 2 * FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'sparse',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.1 }, steps: 1000, below: 0.01 },
    invalid: [
      { options: { lr: 0 }, error: /Invalid learning rate: 0/ },
      { options: { eps: 0 }, error: /Invalid eps value: 0/ },
      ...invalidBetas,
      invalidMaximize,
      unknownOption,
    ],
  },
});

const lamb = defineSpec<LAMBOptions>({
  id: 'lamb',
  displayName: 'LAMB',
  torchName: null,
  summary: "Adam's direction rescaled per tensor by the trust ratio ‖θ‖/‖u‖, for large batches.",
  create: (params, options) => new LAMB(params, options),
  defaults: LAMB_DEFAULTS,
  options: [
    lr(1e-3),
    betas(),
    eps(1e-6),
    weightDecay(0, 'Decoupled weight decay λ, part of the direction the trust ratio measures.'),
    { name: 'maxGradNorm', type: 'nullableNumber', default: 1.0, min: 0, exclusiveMin: true, range: [0.1, 10], scale: 'log', description: 'Clip all gradients together to this global norm; null disables.' },
    { name: 'trustClip', type: 'boolean', default: false, description: 'Cap the trust ratio at 1.' },
  ],
  algorithm: LAMB_BOX,
  paper: { title: 'Large Batch Optimization for Deep Learning: Training BERT in 76 minutes', authors: 'You, Li, Reddi, Hseu, Kumar, Bhojanapalli, Song, Demmel, Keutzer, Hsieh', year: 2020, url: 'https://arxiv.org/abs/1904.00962' },
  stateBytesPerParam: () => 2 * FLOAT32_BYTES,
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 0.05 }, steps: 200 },
    rosenbrock: { options: { lr: 0.03 }, steps: 1000, below: 0.01 },
    invalid: [
      invalidLr,
      invalidEps,
      ...invalidBetas,
      invalidWeightDecay,
      { options: { maxGradNorm: 0 }, error: /Invalid maxGradNorm value: 0/ },
      { options: { trustClip: 'yes' }, error: /Invalid trustClip value: "yes"/ },
      unknownOption,
    ],
  },
});

const lars = defineSpec<LARSOptions>({
  id: 'lars',
  displayName: 'LARS',
  torchName: null,
  summary: 'Momentum SGD with a layer-wise trust ratio η‖θ‖/(‖g‖ + λ‖θ‖), for large batches.',
  create: (params, options) => new LARS(params, options),
  defaults: LARS_DEFAULTS,
  options: [
    lr(1.0),
    momentum(),
    { name: 'dampening', type: 'number', default: 0, range: [0, 1], scale: 'linear', description: 'Dampening τ: the new gradient enters the momentum with weight 1 − τ.' },
    weightDecay(0, 'L2 penalty λ, added before the trust ratio scales the gradient.'),
    { name: 'nesterov', type: 'boolean', default: false, description: 'Nesterov momentum (needs momentum > 0, dampening 0).' },
    { name: 'trustCoefficient', type: 'number', default: 1e-3, min: 0, range: [1e-4, 1e-1], scale: 'log', description: 'η in the trust ratio η‖θ‖/(‖g‖ + λ‖θ‖ + ε).' },
    eps(1e-8, "Added to the trust ratio's denominator."),
    { name: 'trustClip', type: 'boolean', default: false, description: 'Clip the ratio to min(r / lr, 1).' },
  ],
  algorithm: LARS_BOX,
  paper: { title: 'Large Batch Training of Convolutional Networks', authors: 'You, Gitman, Ginsburg', year: 2017, url: 'https://arxiv.org/abs/1708.03888' },
  stateBytesPerParam: (o = {}) => ((o.momentum ?? 0) > 0 ? FLOAT32_BYTES : 0),
  needsClosure: false,
  gradients: 'dense',
  stateKind: 'per-parameter',
  testConfigs: {
    quadratic: { options: { lr: 10, momentum: 0.9, trustCoefficient: 0.01 }, steps: 200 },
    rosenbrock: { options: { lr: 3, momentum: 0.9 }, steps: 1000, below: 0.01 },
    invalid: [
      invalidLr,
      { options: { momentum: -0.9 }, error: /Invalid momentum value: -0\.9/ },
      invalidWeightDecay,
      { options: { nesterov: true }, error: /Nesterov momentum requires a momentum and zero dampening/ },
      { options: { trustCoefficient: -1 }, error: /Invalid trustCoefficient value: -1/ },
      invalidEps,
      { options: { trustClip: 1 }, error: /Invalid trustClip value: 1/ },
      unknownOption,
    ],
  },
});

const lbfgs = defineSpec<LBFGSOptions>({
  id: 'lbfgs',
  displayName: 'LBFGS',
  torchName: 'LBFGS',
  summary: 'Quasi-Newton steps from the last m curvature pairs; re-evaluates the loss through a closure.',
  create: (params, options) => new LBFGS(params, options),
  defaults: LBFGS_DEFAULTS,
  options: [
    lr(1, 'Step length along the L-BFGS direction (the line search starts from it).'),
    { name: 'maxIter', type: 'number', default: 20, min: 1, range: [1, 100], scale: 'linear', description: 'Iterations per step (an integer).' },
    { name: 'maxEval', type: 'number', default: 25, min: 1, range: [1, 125], scale: 'linear', description: 'Closure evaluations per step (an integer; default ⌊maxIter·5/4⌋).' },
    { name: 'toleranceGrad', type: 'number', default: 1e-7, min: 0, range: [1e-12, 1e-3], scale: 'log', description: 'Stop when the largest gradient entry is this small.' },
    { name: 'toleranceChange', type: 'number', default: 1e-9, min: 0, range: [1e-12, 1e-3], scale: 'log', description: 'Stop when the loss or the step changes by less than this.' },
    { name: 'historySize', type: 'number', default: 100, min: 1, range: [1, 100], scale: 'linear', description: 'Curvature pairs (s, y) kept (an integer).' },
    { name: 'lineSearchFn', type: 'choice', choices: [null, 'strong_wolfe'], default: null, description: "null: fixed step lr; 'strong_wolfe': a line search meeting the strong Wolfe conditions." },
  ],
  algorithm: LBFGS_BOX,
  paper: { title: 'On the limited memory BFGS method for large scale optimization', authors: 'Liu, Nocedal', year: 1989, url: 'https://doi.org/10.1007/BF01589116' },
  // The flat direction and previous gradient, plus 2 vectors per kept pair (float32).
  stateBytesPerParam: (o = {}) => FLOAT32_BYTES * (2 + 2 * (o.historySize ?? LBFGS_DEFAULTS.historySize)),
  needsClosure: true,
  gradients: 'dense',
  stateKind: 'flat',
  testConfigs: {
    quadratic: { options: {}, steps: 5 },
    rosenbrock: { options: { lineSearchFn: 'strong_wolfe' }, steps: 20, below: 0.01 },
    invalid: [
      invalidLr,
      { options: { maxIter: 0 }, error: /Invalid maxIter value \(a positive integer\): 0/ },
      { options: { historySize: 2.5 }, error: /Invalid historySize value \(a positive integer\): 2\.5/ },
      { options: { toleranceGrad: -1 }, error: /Invalid toleranceGrad value: -1/ },
      { options: { lineSearchFn: 'wolfe' }, error: /Invalid lineSearchFn value .*: "wolfe"/ },
      unknownOption,
    ],
  },
});

// ---------------------------------------------------------------------------------------------
// Lookup

/** Every optimizer, in the lecture's order. */
export const optimizerSpecs: readonly OptimizerSpec[] = Object.freeze([sgd, adagrad, rmsprop, adadelta, adam, adamw, adamax, nadam, radam, sparseAdam, lamb, lars, lbfgs]);

/** The spec with this id (`adam`) or class name (`Adam`); throws listing the known ids. */
export function getOptimizerSpec(name: string): OptimizerSpec {
  const key = name.toLowerCase();
  const spec = optimizerSpecs.find((s) => s.id === key || s.displayName.toLowerCase() === key);
  if (!spec) throw new RangeError(`unknown optimizer '${name}' (known: ${optimizerSpecs.map((s) => s.id).join(', ')})`);
  return spec;
}

/** Builds an optimizer by id: `createOptimizer('adam', model.parameters(), { lr: 3e-4 })`. */
export function createOptimizer(name: string, params: ParamsInput<Record<string, unknown>> | Iterable<Tensor>, options: Record<string, unknown> = {}): Optimizer<Record<string, unknown>> {
  return getOptimizerSpec(name).create(params as ParamsInput<Record<string, unknown>>, options);
}

// ---------------------------------------------------------------------------------------------
// Wrappers: optimizers that take another optimizer's steps (Lookahead, SAM)

export interface WrapperSpec<O extends object = Record<string, unknown>> {
  id: string;
  displayName: string;
  summary: string;
  /** Wraps `inner` (any optimizer, or another wrapper). */
  create(inner: OptimizerLike, options?: Partial<O>): OptimizerLike;
  defaults: Readonly<O>;
  options: readonly OptionSpec[];
  algorithm: string;
  paper: PaperReference;
  /** Bytes per float32 parameter element on top of the inner optimizer's state. */
  extraBytesPerParam: number;
  /** `step(closure)` needs a closure. */
  needsClosure: boolean;
}

function defineWrapper<O extends object>(spec: WrapperSpec<O>): WrapperSpec {
  return spec as unknown as WrapperSpec;
}

const lookahead = defineWrapper<LookaheadOptions>({
  id: 'lookahead',
  displayName: 'Lookahead',
  summary: 'k fast steps of any optimizer, then the slow weights move a fraction α towards them.',
  create: (inner, options) => new Lookahead(inner, options),
  defaults: LOOKAHEAD_DEFAULTS,
  options: [
    { name: 'k', type: 'number', default: 6, min: 1, range: [1, 20], scale: 'linear', description: 'Inner steps between synchronizations (an integer).' },
    { name: 'alpha', type: 'number', default: 0.5, min: 0, max: 1, range: [0, 1], scale: 'linear', description: 'How far the slow weights move towards the fast ones.' },
  ],
  algorithm: LOOKAHEAD_BOX,
  paper: { title: 'Lookahead Optimizer: k steps forward, 1 step back', authors: 'Zhang, Lucas, Hinton, Ba', year: 2019, url: 'https://arxiv.org/abs/1907.08610' },
  extraBytesPerParam: FLOAT32_BYTES,
  needsClosure: false,
});

const sam = defineWrapper<SAMOptions>({
  id: 'sam',
  displayName: 'SAM',
  summary: 'Steps with the gradient at the worst point of a ρ-ball around the weights (flat minima).',
  create: (inner, options) => new SAM(inner, options),
  defaults: SAM_DEFAULTS,
  options: [
    { name: 'rho', type: 'number', default: 0.05, min: 0, range: [0, 1], scale: 'linear', description: 'Radius ρ of the neighbourhood searched for the worst point.' },
    { name: 'adaptive', type: 'boolean', default: false, description: "ASAM: measure the neighbourhood in the weights' own scale." },
  ],
  algorithm: SAM_BOX,
  paper: { title: 'Sharpness-Aware Minimization for Efficiently Improving Generalization', authors: 'Foret, Kleiner, Mobahi, Neyshabur', year: 2021, url: 'https://arxiv.org/abs/2010.01412' },
  // The weights saved while the closure runs at the perturbed point.
  extraBytesPerParam: FLOAT32_BYTES,
  needsClosure: true,
});

export const wrapperSpecs: readonly WrapperSpec[] = Object.freeze([lookahead, sam]);

/** The wrapper spec with this id (`sam`) or class name; throws listing the known ids. */
export function getWrapperSpec(name: string): WrapperSpec {
  const key = name.toLowerCase();
  const spec = wrapperSpecs.find((s) => s.id === key || s.displayName.toLowerCase() === key);
  if (!spec) throw new RangeError(`unknown optimizer wrapper '${name}' (known: ${wrapperSpecs.map((s) => s.id).join(', ')})`);
  return spec;
}

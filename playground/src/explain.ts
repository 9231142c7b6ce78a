/**
 * "Explain this step": the numbers of one step of one contestant, named as its algorithm box
 * names them. Everything shown comes from the step record (the gradient handed over, the
 * optimizer's state after the step, the two points) and the options in force; the derived
 * quantities (bias-corrected moments, effective learning rate, trust ratios, RAdam's
 * rectification) use the library's own per-step scalar functions where it has them.
 */
import { radamScalars, lambTrustRatio, larsTrustRatio } from './library.js';
import type { StepRecord, Trajectory } from './simulation.js';

export type Pair = readonly [number, number];

export interface ExplainRow {
  /** Stable key for tests and the page (`m_hat`). */
  readonly key: string;
  /** The symbol as in the box (`m̂ₜ`). */
  readonly symbol: string;
  readonly meaning: string;
  /** Per coordinate (x, y), or one number for both. */
  readonly value: Pair | number | string;
}

export interface Explanation {
  readonly t: number;
  /** θₜ₋₁, where the vectors start. */
  readonly from: Pair;
  readonly rows: ExplainRow[];
  /** Vectors drawn from θₜ₋₁: the gradient, the momentum (when there is one), the step taken. */
  readonly vectors: { readonly gradient: Pair; readonly momentum: Pair | null; readonly step: Pair };
  /** SAM's ascent point w + e (see samGhost). */
  readonly ghost: Pair | null;
  /** Lookahead's slow weights after the step. */
  readonly slow: Pair | null;
}

type Group = Readonly<Record<string, unknown>>;

const num = (group: Group, name: string, fallback = 0): number => (typeof group[name] === 'number' ? (group[name] as number) : fallback);
const betasOf = (group: Group): [number, number] => (Array.isArray(group.betas) ? (group.betas as [number, number]) : [0.9, 0.999]);
const map = (p: Pair, f: (v: number, i: 0 | 1) => number): Pair => [f(p[0], 0), f(p[1], 1)];

/** RAdam's rectification at step t: ρₜ, and whether the adaptive step is on. */
export function radamRectification(group: Group, t: number): { rho: number; rectified: boolean } {
  const [, beta2] = betasOf(group);
  const rhoInf = 2 / (1 - beta2) - 1;
  const rho = rhoInf - (2 * t * beta2 ** t) / (1 - beta2 ** t);
  const h = radamScalars({} as never, { lr: num(group, 'lr'), betas: betasOf(group), eps: num(group, 'eps'), weightDecay: num(group, 'weightDecay') }, t) as unknown as { adaptiveStep: number };
  return { rho, rectified: h.adaptiveStep !== 0 };
}

/** The numbers of step `t` (1-based) of a trajectory. */
export function explainStep(trajectory: Trajectory, t: number): Explanation {
  const record = trajectory.records[t - 1];
  if (record === undefined) throw new RangeError(`explainStep: step ${t} has not been taken (${trajectory.steps} so far)`);
  const group = trajectory.group;
  const { optimizer, wrapper } = trajectory.contestant;
  const rows: ExplainRow[] = [];
  const update: Pair = map(record.to, (v, i) => v - record.from[i]);
  const state = record.state;
  const lr = num(group, 'lr');
  let momentum: Pair | null = null;

  rows.push({ key: 'theta_prev', symbol: 'θₜ₋₁', meaning: 'where the step starts', value: record.from });
  rows.push({ key: 'g', symbol: 'gₜ', meaning: 'the gradient handed to the optimizer (noise included)', value: record.gradient });

  if (wrapper === 'sam') {
    const rho = num({ ...trajectory.contestant.wrapperPresets, ...trajectory.settings.wrapperOptions }, 'rho', 0.05);
    rows.push({ key: 'g_ascent', symbol: 'g(w + e)', meaning: 'the gradient at the ascent point, which the inner optimizer steps with', value: record.lastGradient });
    rows.push({ key: 'rho', symbol: 'ρ', meaning: 'radius of the neighbourhood', value: rho });
  }

  const adamFamily = 'exp_avg' in state && ('exp_avg_sq' in state || 'exp_inf' in state);
  if (adamFamily) {
    const [beta1, beta2] = betasOf(group);
    const step = state.step?.[0] ?? t;
    const eps = num(group, 'eps');
    const m = state.exp_avg!;
    const bc1 = 1 - beta1 ** step;
    const mHat = map(m, (v) => v / bc1);
    momentum = mHat;
    rows.push({ key: 'm', symbol: 'mₜ', meaning: `exp_avg: β₁ mₜ₋₁ + (1 − β₁) gₜ, β₁ = ${beta1}`, value: m });
    if ('exp_avg_sq' in state) {
      const v = state.exp_avg_sq!;
      const bc2 = 1 - beta2 ** step;
      const vHat = map(v, (x) => x / bc2);
      rows.push({ key: 'v', symbol: 'vₜ', meaning: `exp_avg_sq: β₂ vₜ₋₁ + (1 − β₂) gₜ², β₂ = ${beta2}`, value: v });
      rows.push({ key: 'm_hat', symbol: 'm̂ₜ', meaning: 'mₜ / (1 − β₁ᵗ): bias-corrected', value: mHat });
      rows.push({ key: 'v_hat', symbol: 'v̂ₜ', meaning: 'vₜ / (1 − β₂ᵗ): bias-corrected', value: vHat });
      if (optimizer === 'radam') {
        const { rho, rectified } = radamRectification(group, step);
        rows.push({ key: 'rho_t', symbol: 'ρₜ', meaning: rectified ? 'ρₜ > 5: the adaptive step is on (rectified)' : 'ρₜ ≤ 5: rectification off, a momentum-only step', value: rho });
      }
      if (optimizer === 'lamb') {
        const weightDecay = num(group, 'weightDecay');
        const direction = map(mHat, (mh, i) => mh / (Math.sqrt(vHat[i]) + eps) + weightDecay * record.from[i]);
        const trust = map(direction, (u, i) => lambTrustRatio(Math.abs(record.from[i]), Math.abs(u), group.trustClip === true));
        rows.push({ key: 'u', symbol: 'uₜ', meaning: 'm̂ₜ / (√v̂ₜ + ε) + λθ: the direction the trust ratio measures', value: direction });
        rows.push({ key: 'trust', symbol: 'rₜ', meaning: 'trust ratio ‖θ‖ / ‖u‖ per coordinate group (x, y)', value: trust });
      } else {
        rows.push({ key: 'lr_eff', symbol: 'γ / (√v̂ₜ + ε)', meaning: 'effective learning rate per coordinate, applied to m̂ₜ', value: map(vHat, (x) => lr / (Math.sqrt(x) + eps)) });
      }
    } else {
      const u = state.exp_inf!;
      rows.push({ key: 'u_inf', symbol: 'uₜ', meaning: 'exp_inf: max(β₂ uₜ₋₁, |gₜ| + ε)', value: u });
      rows.push({ key: 'lr_eff', symbol: 'γ / ((1 − β₁ᵗ) uₜ)', meaning: 'effective learning rate per coordinate, applied to mₜ', value: map(u, (x) => lr / (bc1 * x)) });
    }
  } else if ('sum' in state) {
    const sum = state.sum!;
    const decayed = lr / (1 + (t - 1) * num(group, 'lrDecay'));
    rows.push({ key: 'sum', symbol: 'state_sumₜ', meaning: 'Σ gₛ² over every step so far: it only grows', value: sum });
    rows.push({ key: 'lr_eff', symbol: 'γ̃ / (√state_sumₜ + ε)', meaning: 'effective learning rate per coordinate: it only shrinks', value: map(sum, (s) => decayed / (Math.sqrt(s) + num(group, 'eps'))) });
  } else if ('square_avg' in state && 'acc_delta' in state) {
    rows.push({ key: 'v', symbol: 'vₜ', meaning: 'square_avg: ρ vₜ₋₁ + (1 − ρ) gₜ²', value: state.square_avg! });
    rows.push({ key: 'acc_delta', symbol: 'uₜ', meaning: 'acc_delta: ρ uₜ₋₁ + (1 − ρ) Δxₜ²', value: state.acc_delta! });
  } else if ('square_avg' in state) {
    const v = state.square_avg!;
    const centred = state.grad_avg;
    const vTilde = centred ? map(v, (x, i) => x - centred[i] ** 2) : v;
    rows.push({ key: 'v', symbol: 'vₜ', meaning: `square_avg: α vₜ₋₁ + (1 − α) gₜ², α = ${num(group, 'alpha')}: it levels off`, value: v });
    if (centred) rows.push({ key: 'grad_avg', symbol: 'gₜᵃᵛᵍ', meaning: 'grad_avg (centered)', value: centred });
    if (state.momentum_buffer) {
      momentum = state.momentum_buffer;
      rows.push({ key: 'b', symbol: 'bₜ', meaning: 'momentum_buffer', value: state.momentum_buffer });
    }
    rows.push({ key: 'lr_eff', symbol: 'α / (√ṽₜ + ε)', meaning: 'effective learning rate per coordinate', value: map(vTilde, (x) => lr / (Math.sqrt(x) + num(group, 'eps'))) });
  } else {
    if (state.momentum_buffer) {
      momentum = state.momentum_buffer;
      rows.push({ key: 'b', symbol: 'bₜ', meaning: `momentum_buffer: μ bₜ₋₁ + (1 − τ) gₜ, μ = ${num(group, 'momentum')}`, value: state.momentum_buffer });
    }
    if (optimizer === 'lars') {
      const trust = map(record.gradient, (g, i) => larsTrustRatio(Math.abs(record.from[i]), Math.abs(g), { lr, weightDecay: num(group, 'weightDecay'), trustCoefficient: num(group, 'trustCoefficient'), eps: num(group, 'eps'), trustClip: group.trustClip === true }));
      rows.push({ key: 'trust', symbol: 'rₜ', meaning: 'trust ratio η‖θ‖ / (‖g‖ + λ‖θ‖ + ε) per coordinate group (x, y)', value: trust });
    }
    rows.push({ key: 'lr_eff', symbol: 'γ', meaning: 'the learning rate: the same for every coordinate', value: lr });
  }

  rows.push({ key: 'update', symbol: 'Δθ = θₜ − θₜ₋₁', meaning: 'the update the optimizer applied', value: update });
  rows.push({ key: 'theta', symbol: 'θₜ', meaning: 'where the step ends', value: record.to });

  let slow: Pair | null = null;
  if (record.slow) {
    slow = record.slow;
    rows.push({ key: 'slow', symbol: 'φ', meaning: 'Lookahead\'s slow weights (every k steps the fast weights are pulled back to them)', value: slow });
  }
  return { t, from: record.from, rows, vectors: { gradient: record.gradient, momentum, step: update }, ghost: wrapper === 'sam' ? samGhost(trajectory, record) : null, slow };
}

/**
 * SAM's ascent point w + e: e = ρ·g/‖g‖, or with `adaptive` (ASAM) e = ρ·w²⊙g/‖|w|⊙g‖, with
 * the guard SAM uses against a zero gradient.
 */
function samGhost(trajectory: Trajectory, record: StepRecord): Pair {
  const options = { ...trajectory.contestant.wrapperPresets, ...trajectory.settings.wrapperOptions };
  const rho = num(options, 'rho', 0.05);
  const adaptive = options.adaptive === true;
  const [w, g] = [record.from, record.gradient];
  const weight = (i: 0 | 1): number => (adaptive ? w[i] * w[i] : 1);
  const norm = Math.hypot(Math.sqrt(weight(0)) * g[0], Math.sqrt(weight(1)) * g[1]);
  const scale = rho / (norm + 1e-12);
  return [w[0] + scale * weight(0) * g[0], w[1] + scale * weight(1) * g[1]];
}

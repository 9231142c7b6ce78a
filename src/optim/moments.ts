/**
 * The Adam-moments base: what Adam, AdamW, NAdam, RAdam, Adamax, LAMB and SparseAdam share.
 * Each keeps a step count and two running moments of the gradient, takes a learning rate, a
 * pair of decay rates and an ε, and (all but SparseAdam) an L2 weight decay. Their specs are
 * these rows plus what differs; their kernels differ in how the moments make a step.
 */
import type { Tensor } from '../tensor/tensor.js';
import { betas, eps, lr, weightDecay, type OptionSpec, type StateTable } from './spec.js';

/** The options every Adam relative has. */
export interface MomentOptions {
  lr: number;
  betas: [number, number];
  eps: number;
}

/** One parameter's moments: mₜ (`exp_avg`) and the second moment, as PyTorch names them. */
export interface MomentState {
  [key: string]: number | Tensor | undefined;
  step: number;
  exp_avg: Tensor;
}

/**
 * lr, betas, eps and weight decay, with this member's defaults. `decay` null leaves weight decay
 * out (SparseAdam); a string describes it.
 */
export function momentOptions(defaults: { lr: number; eps: number; weightDecay?: number }, decay: string | null = 'L2 penalty λ added to the gradient.', betasText?: string): OptionSpec[] {
  const rows = [lr(defaults.lr), betas(betasText), eps(defaults.eps)];
  if (decay !== null) rows.push(weightDecay(defaults.weightDecay ?? 0, decay));
  return rows;
}

/**
 * `step`, `exp_avg` and the second moment (`exp_avg_sq`, Adamax's `exp_inf`); `step` is a 0-d
 * tensor in PyTorch's state dicts (LAMB's reference and SparseAdam keep a plain count).
 */
export function momentState<O>(step: 'count' | 'count0d' = 'count0d', second = 'exp_avg_sq'): StateTable<O> {
  return { step: { kind: step }, exp_avg: { kind: 'param' }, [second]: { kind: 'param', nonNegative: true } };
}

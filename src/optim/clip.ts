/**
 * Gradient clipping, applied between `backward()` and `optimizer.step()`.
 *
 * ```text
 * clipGradNorm(params, maxNorm, { normType = p }):
 *   nᵢ ← ‖gᵢ‖_p                       for every param with a gradient
 *   N  ← ‖(n₁, …, n_k)‖_p              (= ‖all gradients as one vector‖_p)
 *   if errorIfNonfinite and N is NaN or ±∞: throw
 *   c  ← min(maxNorm / (N + 10⁻⁶), 1)
 *   gᵢ ← c · gᵢ                        (in place)
 *   return N
 *
 * clipGradValue(params, v):
 *   gᵢ ← clamp(gᵢ, −v, v)              (in place)
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`,
 * including the 10⁻⁶ in the denominator (so a norm just under `maxNorm` is scaled by a
 * factor a hair below 1) and the multiplication by c even when c = 1. Differences:
 * the total norm comes back as a number rather than a 0-d tensor, and it is accumulated in
 * double precision; a negative or NaN `maxNorm`/`clipValue`, and a `normType` that is not
 * a positive number or ∞, are errors here (PyTorch accepts them and clips nonsensically).
 * Row-sparse gradients count by the dense tensor they stand for: repeated rows are summed
 * before their norm is taken (PyTorch coalesces too), and `clipGradValue` coalesces them
 * before clamping, since clamping each repeated row alone would clamp the wrong sum.
 */
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';

export type NormType = number | 'inf';

export interface ClipGradNormOptions {
  /** The p of the p-norm: any p > 0, or `Infinity` / `'inf'` for the largest magnitude. Default 2. */
  normType?: NormType;
  /** Throw instead of scaling when the total norm is NaN or infinite. Default false. */
  errorIfNonfinite?: boolean;
}

/** What clipping accepts: one tensor, or any iterable of tensors (e.g. `model.parameters()`). */
export type ClipTarget = Tensor | Iterable<Tensor>;

function tensorsOf(params: ClipTarget, caller: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${caller}: parameter ${i} is not a Tensor`);
  });
  return list;
}

function resolveNormType(normType: NormType): number {
  const p = normType === 'inf' ? Infinity : normType;
  if (typeof p !== 'number' || !(p > 0)) {
    throw new RangeError(`clipGradNorm: normType must be a positive number, Infinity or 'inf', got ${String(normType)}`);
  }
  return p;
}

/** The values a gradient's norm is taken over: dense storage, or the coalesced rows. */
function normValues(grad: Tensor | SparseRows): FloatArray {
  return grad instanceof SparseRows ? grad.coalesce().values.data : grad.data;
}

/** ‖values‖_p for p ∈ (0, ∞]. */
function pNorm(values: ArrayLike<number>, p: number): number {
  if (p === Infinity) {
    // NaN must win, as in PyTorch's max-reduction: a later finite value may not overwrite it.
    let max = 0;
    for (let i = 0; i < values.length; i++) {
      const v = Math.abs(values[i]!);
      if (Number.isNaN(v)) return Number.NaN;
      if (v > max) max = v;
    }
    return max;
  }
  let sum = 0;
  if (p === 2) {
    for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
    return Math.sqrt(sum);
  }
  if (p === 1) {
    for (let i = 0; i < values.length; i++) sum += Math.abs(values[i]!);
    return sum;
  }
  for (let i = 0; i < values.length; i++) sum += Math.abs(values[i]!) ** p;
  return sum ** (1 / p);
}

function scaleInPlace(values: FloatArray, factor: number): void {
  for (let i = 0; i < values.length; i++) values[i]! *= factor;
}

/**
 * Scales the gradients of `params` in place so that their total p-norm is at most
 * `maxNorm`, and returns the total norm before clipping. Parameters without a gradient
 * are skipped; with none at all the norm is 0.
 */
export function clipGradNorm(params: ClipTarget, maxNorm: number, { normType = 2, errorIfNonfinite = false }: ClipGradNormOptions = {}): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new RangeError(`clipGradNorm: maxNorm must be a non-negative number, got ${String(maxNorm)}`);
  }
  const p = resolveNormType(normType);
  const grads = tensorsOf(params, 'clipGradNorm')
    .map((param) => param.grad)
    .filter((g): g is Tensor | SparseRows => g !== null);
  if (grads.length === 0) return 0;

  const perParam = grads.map((g) => pNorm(normValues(g), p));
  const total = pNorm(perParam, p);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `clipGradNorm: the total norm of order ${p} of the gradients is ${total}, so they cannot be clipped (a gradient holds NaN or Infinity). Pass errorIfNonfinite: false to scale by the non-finite norm anyway.`,
    );
  }
  const coefficient = Math.min(maxNorm / (total + 1e-6), 1);
  for (const g of grads) scaleInPlace(g instanceof SparseRows ? g.values.data : g.data, coefficient);
  return total;
}

/** Clamps every gradient entry of `params` to [−clipValue, clipValue], in place. */
export function clipGradValue(params: ClipTarget, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new RangeError(`clipGradValue: clipValue must be a non-negative number, got ${String(clipValue)}`);
  }
  for (const param of tensorsOf(params, 'clipGradValue')) {
    const grad = param.grad;
    if (grad === null) continue;
    const target = grad instanceof SparseRows ? grad.coalesce() : grad;
    const values = target instanceof SparseRows ? target.values.data : target.data;
    for (let i = 0; i < values.length; i++) values[i] = Math.min(Math.max(values[i]!, -clipValue), clipValue);
    if (target !== grad) param.grad = target;
  }
}

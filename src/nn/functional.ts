/**
 * Stateless neural-network functions, PyTorch's `torch.nn.functional` (exported as `F`).
 *
 * Most are short compositions of tensor ops, so autograd derives their gradients. Two are
 * fused primitives with the backward written beside the forward, because composing them
 * would be slower and less stable:
 * - `crossEntropy`: log-softmax and NLL in one pass; ∂loss/∂logits = softmax − target.
 * - `binaryCrossEntropyWithLogits`: the softplus form that never takes the log of 0.
 */
import { Tensor, allocate, type IndexLike } from '../tensor/tensor.js';
import { unary } from '../tensor/elementwise.js';
import { expand } from '../tensor/movement.js';
import { shapeString, sameShape } from '../tensor/shape.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { record } from '../autograd/engine.js';
import { normalCdf, normalPdf } from './special.js';

// ---- activations ----

/** y = x·Wᵀ + b, PyTorch's `F.linear`: one op, with no transposed copy of W. */
export { linear, type LinearOpOptions } from '../tensor/linalg.js';
export { conv2d, maxPool2d, avgPool2d, type Conv2dOptions, type MaxPool2dOptions, type AvgPool2dOptions, type Size2 } from '../tensor/conv.js';
export { batchNorm, layerNorm, type BatchNormOptions } from './normalization.js';

export function relu(x: Tensor): Tensor {
  return x.relu();
}

export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}

export function tanh(x: Tensor): Tensor {
  return x.tanh();
}

/** x for x > 0, negativeSlope·x otherwise. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
    throw new RangeError(`leakyRelu: negativeSlope must be a finite number, got ${String(negativeSlope)}`);
  }
  return unary(
    x,
    'leakyRelu',
    (v) => (v > 0 ? v : negativeSlope * v),
    (g, v) => (v > 0 ? g : negativeSlope * g),
  );
}

export type GeluApproximation = 'none' | 'tanh';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * GELU(x) = x·Φ(x) (PyTorch's default, `approximate: 'none'`), or the tanh approximation
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))) with `approximate: 'tanh'`.
 */
export function gelu(x: Tensor, { approximate = 'none' }: { approximate?: GeluApproximation } = {}): Tensor {
  if (approximate === 'none') {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    return unary(x, 'gelu', (v) => v * normalCdf(v), (g, v) => g * (normalCdf(v) + v * normalPdf(v)));
  }
  if (approximate === 'tanh') {
    return unary(
      x,
      'gelu',
      (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v))),
      (g, v) => {
        const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v));
        const dInner = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v);
        return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
      },
    );
  }
  throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
}

/** exp(x) / Σ exp(x) along `dim`, shifted by the max so that exp cannot overflow. */
export function softmax(x: Tensor, dim: number): Tensor {
  const shifted = x.sub(x.max(dim, true).detach());
  const e = shifted.exp();
  return e.div(e.sum(dim, true));
}

/**
 * x − log Σ exp(x) along `dim`, computed as s − log Σ exp(s) with s = x − max(x): the
 * large offset cancels before rounding, so float32 results near 1000 keep full precision
 * (x − logSumExp(x) would round the log-sum to float32's spacing at 1000, about 6e-5).
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const shifted = x.sub(x.max(dim, true).detach());
  return shifted.sub(shifted.exp().sum(dim, true).log());
}

/**
 * Inverted dropout: in training, zeroes each element with probability `p` and scales the
 * survivors by 1/(1−p), so that evaluation needs no rescaling. Outside training, or with
 * p = 0, returns `x` itself. One uniform draw per element from `generator`.
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability p must be in [0, 1], got ${String(p)}`);
  if (!training || p === 0) return x;
  const mask = allocate(x.data.length, x.dtype);
  // p = 1 drops everything; the scale is then irrelevant (and would be infinite).
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() < p ? 0 : scale;
  return x.mul(new Tensor(mask, x.shape));
}

/**
 * Channel dropout for [N, C, H, W] (or [C, H, W]) input: each whole channel is zeroed with
 * probability `p` and the survivors scaled by 1/(1−p), one draw per channel (PyTorch's
 * `F.dropout2d`).
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout2d: probability p must be in [0, 1], got ${String(p)}`);
  if (x.shape.length !== 3 && x.shape.length !== 4) throw new RangeError(`dropout2d: input must be [N, C, H, W] or [C, H, W], got ${shapeString(x.shape)}`);
  if (!training || p === 0) return x;
  const channelShape = [...x.shape.slice(0, -2), 1, 1];
  const mask = allocate(channelShape.reduce((a, b) => a * b, 1), x.dtype);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() < p ? 0 : scale;
  return x.mul(new Tensor(mask, channelShape));
}

// ---- losses ----

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  reduction?: Reduction;
}

function checkReduction(reduction: unknown, op: string): Reduction {
  if (reduction === 'mean' || reduction === 'sum' || reduction === 'none') return reduction;
  throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}

function reduce(losses: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return losses;
  return reduction === 'sum' ? losses.sum() : losses.mean();
}

/** Checks that `target` holds `n` class indices in [0, classes) and returns them. */
function classIndices(target: IndexLike, n: number, classes: number, op: string): Int32Array {
  if (target instanceof Tensor && target.shape.length !== 1) {
    throw new RangeError(`${op}: target must be a 1-D list of ${n} class indices, got a tensor of shape ${shapeString(target.shape)} (class probabilities are not supported)`);
  }
  const values: ArrayLike<number> = target instanceof Tensor ? target.data : target;
  if (values.length !== n) {
    throw new RangeError(`${op}: target has ${values.length} entries but the input has ${n} rows`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = values[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(`${op}: target ${c} at position ${i} is not a class index in [0, ${classes})`);
    }
    out[i] = c;
  }
  return out;
}

function checkRows(input: Tensor, op: string, what: string): [number, number] {
  if (input.shape.length !== 2) {
    throw new RangeError(`${op}: expected ${what} of shape [N, C], got ${shapeString(input.shape)}`);
  }
  return [input.shape[0]!, input.shape[1]!];
}

export interface CrossEntropyOptions extends ReductionOptions {
  /** ε in [0, 1]: the target becomes (1−ε)·onehot + ε/C (PyTorch's `label_smoothing`). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between softmax(logits) and class targets, for logits of shape [N, C]:
 *
 *   lseᵢ   = log Σ_c exp(xᵢc)
 *   lossᵢ  = lseᵢ − (1−ε)·xᵢ,tᵢ − (ε/C)·Σ_c xᵢc
 *   ∂lossᵢ/∂xᵢc = softmax(xᵢ)_c − (1−ε)·[c = tᵢ] − ε/C
 *
 * then averaged ('mean'), summed ('sum') or kept per row ('none').
 */
export function crossEntropy(logits: Tensor, target: IndexLike, { reduction = 'mean', labelSmoothing = 0 }: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const mode = checkReduction(reduction, op);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${String(labelSmoothing)}`);
  }
  const [n, classes] = checkRows(logits, op, 'logits');
  const targets = classIndices(target, n, classes, op);
  const x = logits.data;
  const eps = labelSmoothing;
  const lse = new Float64Array(n);
  const losses = allocate(n, logits.dtype);
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let peak = -Infinity;
    for (let c = 0; c < classes; c++) peak = Math.max(peak, x[row + c]!);
    let total = 0;
    let rowSum = 0;
    for (let c = 0; c < classes; c++) {
      total += Math.exp(x[row + c]! - peak);
      rowSum += x[row + c]!;
    }
    lse[i] = peak + Math.log(total);
    losses[i] = lse[i]! - (1 - eps) * x[row + targets[i]!]! - (eps / classes) * rowSum;
  }
  const perRow = record(new Tensor(losses, [n]), op, [logits], (g) => {
    const gx = allocate(x.length, logits.dtype);
    for (let i = 0; i < n; i++) {
      const row = i * classes;
      const gi = g.data[i]!;
      for (let c = 0; c < classes; c++) {
        const softmaxC = Math.exp(x[row + c]! - lse[i]!);
        gx[row + c] = gi * (softmaxC - eps / classes);
      }
      gx[row + targets[i]!]! -= gi * (1 - eps);
    }
    return [new Tensor(gx, logits.shape)];
  });
  return reduce(perRow, mode);
}

/** Negative log-likelihood of class targets under log-probabilities [N, C]: −logProbs[i, tᵢ]. */
export function nllLoss(logProbs: Tensor, target: IndexLike, { reduction = 'mean' }: ReductionOptions = {}): Tensor {
  const op = 'nllLoss';
  const mode = checkReduction(reduction, op);
  const [n, classes] = checkRows(logProbs, op, 'log-probabilities');
  const targets = classIndices(target, n, classes, op);
  const column = new Tensor(Float64Array.from(targets), [n, 1]);
  return reduce(logProbs.gather(1, column).reshape([n]).neg(), mode);
}

/** (input − target)², averaged, summed or elementwise. Shapes must match exactly. */
export function mseLoss(input: Tensor, target: Tensor, { reduction = 'mean' }: ReductionOptions = {}): Tensor {
  const mode = checkReduction(reduction, 'mseLoss');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`mseLoss: input shape ${shapeString(input.shape)} and target shape ${shapeString(target.shape)} differ`);
  }
  return reduce(input.sub(target).square(), mode);
}

export interface BceWithLogitsOptions extends ReductionOptions {
  /** Weight of the positive class (PyTorch's `pos_weight`): a number, or a tensor that broadcasts to the logits. */
  posWeight?: number | Tensor;
}

/**
 * Binary cross-entropy on logits x with targets y in [0, 1], and positive weight w:
 *
 *   loss = −w·y·log σ(x) − (1−y)·log(1−σ(x))
 *        = (1−y)·x + (1 + (w−1)·y)·softplus(−x),   softplus(−x) = log(1+e^{−|x|}) + max(−x, 0)
 *   ∂loss/∂x = (1−y) − (1 + (w−1)·y)·σ(−x)
 *   ∂loss/∂y = −x + (w−1)·softplus(−x)
 *
 * The softplus form never evaluates log(0), whatever the size of x. `posWeight` gets no gradient.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, { reduction = 'mean', posWeight = 1 }: BceWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const mode = checkReduction(reduction, op);
  if (!sameShape(logits.shape, targets.shape)) {
    throw new RangeError(`${op}: logits shape ${shapeString(logits.shape)} and targets shape ${shapeString(targets.shape)} differ`);
  }
  const weights = positiveWeights(posWeight, logits, op);
  const x = logits.data;
  const y = targets.data;
  const n = x.length;
  const softplusNeg = new Float64Array(n);
  const losses = allocate(n, logits.dtype === 'float64' || targets.dtype === 'float64' ? 'float64' : 'float32');
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    softplusNeg[i] = Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0);
    losses[i] = (1 - y[i]!) * v + (1 + (weights(i) - 1) * y[i]!) * softplusNeg[i]!;
  }
  const elementwise = record(new Tensor(losses, logits.shape), op, [logits, targets], (g) => {
    const gx = allocate(n, logits.dtype);
    const gy = allocate(n, targets.dtype);
    for (let i = 0; i < n; i++) {
      // σ(−x) = exp(−softplus(x)) and softplus(x) = softplus(−x) + x: no 1 − σ(x) cancellation.
      const sigmoidNeg = Math.exp(-(softplusNeg[i]! + x[i]!));
      const w = weights(i);
      gx[i] = g.data[i]! * (1 - y[i]! - (1 + (w - 1) * y[i]!) * sigmoidNeg);
      gy[i] = g.data[i]! * (-x[i]! + (w - 1) * softplusNeg[i]!);
    }
    return [logits.requiresGrad ? new Tensor(gx, logits.shape) : null, targets.requiresGrad ? new Tensor(gy, targets.shape) : null];
  });
  return reduce(elementwise, mode);
}

/** The positive-class weight of each element, as a lookup by flat position. */
function positiveWeights(posWeight: number | Tensor, logits: Tensor, op: string): (i: number) => number {
  if (typeof posWeight === 'number') {
    if (!Number.isFinite(posWeight)) throw new RangeError(`${op}: posWeight must be finite, got ${posWeight}`);
    return () => posWeight;
  }
  if (!(posWeight instanceof Tensor)) throw new TypeError(`${op}: posWeight must be a number or a Tensor`);
  let spread: Tensor;
  try {
    spread = expand(posWeight.detach(), logits.shape);
  } catch {
    throw new RangeError(`${op}: posWeight of shape ${shapeString(posWeight.shape)} does not broadcast to the logits' shape ${shapeString(logits.shape)}`);
  }
  const w = spread.data;
  return (i) => w[i]!;
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`${op}: input shape ${shapeString(input.shape)} and target shape ${shapeString(target.shape)} differ`);
  }
}

function checkPositive(value: number, name: string, op: string, { allowZero = false } = {}): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(allowZero ? value >= 0 : value > 0)) {
    throw new RangeError(`${op}: ${name} must be a finite number ${allowZero ? '≥' : '>'} 0, got ${String(value)}`);
  }
}

/** |input − target|, averaged, summed or elementwise (PyTorch's `F.l1_loss`). */
export function l1Loss(input: Tensor, target: Tensor, { reduction = 'mean' }: ReductionOptions = {}): Tensor {
  const mode = checkReduction(reduction, 'l1Loss');
  checkSameShape(input, target, 'l1Loss');
  return reduce(input.sub(target).abs(), mode);
}

/**
 * The piecewise loss shared by smooth L1 and Huber, on d = input − target:
 *   |d| < δ:  ½·d²·q          else:  r·(|d| − ½·δ)
 *   ∂/∂d:     d·q                    r·sign(d)
 * Smooth L1 (β = δ) has q = 1/β, r = 1; Huber has q = 1, r = δ. One fused op so that the
 * branch not taken is never evaluated (½d²/β at β = 0 would be NaN).
 */
function piecewiseQuadratic(input: Tensor, target: Tensor, delta: number, quadratic: number, linear: number, op: string): Tensor {
  checkSameShape(input, target, op);
  const n = input.data.length;
  const dtype = input.dtype === 'float64' || target.dtype === 'float64' ? 'float64' : 'float32';
  const out = allocate(n, dtype);
  const slope = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = input.data[i]! - target.data[i]!;
    const a = Math.abs(d);
    const inside = a < delta;
    out[i] = inside ? 0.5 * d * d * quadratic : linear * (a - 0.5 * delta);
    slope[i] = inside ? d * quadratic : linear * Math.sign(d);
  }
  return record(new Tensor(out, input.shape), op, [input, target], (g) => {
    const gi = allocate(n, input.dtype);
    const gt = allocate(n, target.dtype);
    for (let i = 0; i < n; i++) {
      gi[i] = g.data[i]! * slope[i]!;
      gt[i] = -g.data[i]! * slope[i]!;
    }
    return [input.requiresGrad ? new Tensor(gi, input.shape) : null, target.requiresGrad ? new Tensor(gt, target.shape) : null];
  });
}

/** Smooth L1 (PyTorch's `F.smooth_l1_loss`): quadratic below β, linear above; β = 0 is L1. */
export function smoothL1Loss(input: Tensor, target: Tensor, { reduction = 'mean', beta = 1 }: ReductionOptions & { beta?: number } = {}): Tensor {
  const mode = checkReduction(reduction, 'smoothL1Loss');
  checkPositive(beta, 'beta', 'smoothL1Loss', { allowZero: true });
  return reduce(beta === 0 ? input.sub(target).abs() : piecewiseQuadratic(input, target, beta, 1 / beta, 1, 'smoothL1Loss'), mode);
}

/** Huber (PyTorch's `F.huber_loss`): ½d² below δ, δ·(|d| − ½δ) above; δ × smooth L1 with β = δ. */
export function huberLoss(input: Tensor, target: Tensor, { reduction = 'mean', delta = 1 }: ReductionOptions & { delta?: number } = {}): Tensor {
  const mode = checkReduction(reduction, 'huberLoss');
  checkPositive(delta, 'delta', 'huberLoss');
  return reduce(piecewiseQuadratic(input, target, delta, 1, delta, 'huberLoss'), mode);
}

export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** A rescaling weight per element, broadcast to the input (no gradient). */
  weight?: Tensor | null;
}

/**
 * Binary cross-entropy on probabilities x ∈ [0, 1] (PyTorch's `F.binary_cross_entropy`):
 *   loss = −w·(y·log x + (1 − y)·log(1 − x)),   each log clamped at −100 as PyTorch does
 *   ∂loss/∂x = w·(x − y) / max(x·(1 − x), 1e-12)
 *   ∂loss/∂y = w·(log(1 − x) − log x)
 * For logits, `binaryCrossEntropyWithLogits` is the stable choice.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, { reduction = 'mean', weight = null }: BinaryCrossEntropyOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const mode = checkReduction(reduction, op);
  checkSameShape(input, target, op);
  const n = input.data.length;
  for (let i = 0; i < n; i++) {
    const v = input.data[i]!;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${op}: input values must be probabilities in [0, 1], got ${v} at position ${i}`);
  }
  let w: ArrayLike<number> | null = null;
  if (weight !== null) {
    if (!(weight instanceof Tensor)) throw new TypeError(`${op}: weight must be a Tensor or null`);
    try {
      w = expand(weight.detach(), input.shape).data;
    } catch {
      throw new RangeError(`${op}: weight of shape ${shapeString(weight.shape)} does not broadcast to the input's shape ${shapeString(input.shape)}`);
    }
  }
  const dtype = input.dtype === 'float64' || target.dtype === 'float64' ? 'float64' : 'float32';
  const out = allocate(n, dtype);
  const logX = new Float64Array(n);
  const log1mX = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = input.data[i]!;
    const y = target.data[i]!;
    logX[i] = Math.max(Math.log(x), -100);
    log1mX[i] = Math.max(Math.log1p(-x), -100);
    out[i] = -(w === null ? 1 : w[i]!) * (y * logX[i]! + (1 - y) * log1mX[i]!);
  }
  return reduce(record(new Tensor(out, input.shape), op, [input, target], (g) => {
    const gi = allocate(n, input.dtype);
    const gt = allocate(n, target.dtype);
    for (let i = 0; i < n; i++) {
      const x = input.data[i]!;
      const scale = g.data[i]! * (w === null ? 1 : w[i]!);
      gi[i] = (scale * (x - target.data[i]!)) / Math.max(x * (1 - x), 1e-12);
      gt[i] = scale * (log1mX[i]! - logX[i]!);
    }
    return [input.requiresGrad ? new Tensor(gi, input.shape) : null, target.requiresGrad ? new Tensor(gt, target.shape) : null];
  }), mode);
}

export interface KlDivOptions {
  /** 'mean' over every element (PyTorch's default), 'batchmean' (sum ÷ batch size: the true KL), 'sum' or 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities. */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence with the input as log-probabilities q and the target p
 * (PyTorch's `F.kl_div`): pointwise p·(log p − q), taken as 0 where p = 0;
 *   ∂/∂q = −p,   ∂/∂p = log p + 1 − q   (with logTarget, t = log p: eᵗ·(t − q), ∂/∂t = eᵗ·(t − q + 1)).
 */
export function klDiv(input: Tensor, target: Tensor, { reduction = 'mean', logTarget = false }: KlDivOptions = {}): Tensor {
  const op = 'klDiv';
  if (reduction !== 'batchmean') checkReduction(reduction, op);
  checkSameShape(input, target, op);
  const n = input.data.length;
  const dtype = input.dtype === 'float64' || target.dtype === 'float64' ? 'float64' : 'float32';
  const out = allocate(n, dtype);
  const dInput = new Float64Array(n);
  const dTarget = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const q = input.data[i]!;
    const t = target.data[i]!;
    if (logTarget) {
      const p = Math.exp(t);
      out[i] = p * (t - q);
      dInput[i] = -p;
      dTarget[i] = p * (t - q + 1);
    } else {
      if (t < 0) throw new RangeError(`${op}: target probabilities must be ≥ 0, got ${t} at position ${i} (pass logTarget: true for log-probabilities)`);
      out[i] = t > 0 ? t * (Math.log(t) - q) : 0;
      dInput[i] = -t;
      dTarget[i] = t > 0 ? Math.log(t) + 1 - q : 0;
    }
  }
  const pointwise = record(new Tensor(out, input.shape), op, [input, target], (g) => {
    const gi = allocate(n, input.dtype);
    const gt = allocate(n, target.dtype);
    for (let i = 0; i < n; i++) {
      gi[i] = g.data[i]! * dInput[i]!;
      gt[i] = g.data[i]! * dTarget[i]!;
    }
    return [input.requiresGrad ? new Tensor(gi, input.shape) : null, target.requiresGrad ? new Tensor(gt, target.shape) : null];
  });
  if (reduction === 'batchmean') return input.shape.length === 0 ? pointwise.sum() : pointwise.sum().div(input.shape[0]!);
  return reduce(pointwise, reduction);
}

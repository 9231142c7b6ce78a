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
export { linear } from '../tensor/linalg.js';

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

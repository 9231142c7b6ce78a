/**
 * Normalization as functions (PyTorch's `F.batch_norm`, `F.layer_norm`):
 *
 *   x̂ = (x − μ) / √(σ² + ε),   y = γ·x̂ + β
 *
 * with μ, σ² (biased) over the batch and spatial dims (batch norm, training), the stored running
 * statistics (batch norm, evaluation), or the trailing `normalizedShape` dims (layer norm).
 * Layer norm is composed of tensor ops (its dims are contiguous, so the reductions are plain
 * loops); batch norm reduces across the batch, strided, so it is one fused op per channel with
 * its backward beside it (M values per channel, s = 1/√(σ² + ε)):
 *   ∂β = Σ dy,   ∂γ = Σ dy·x̂
 *   training:    ∂x = γ·s/M · (M·dy − Σ dy − x̂·Σ dy·x̂)     (μ and σ² depend on x)
 *   evaluation:  ∂x = γ·s·dy
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import { record } from '../autograd/engine.js';
import { shapeString } from '../tensor/shape.js';

export interface BatchNormOptions {
  /** Normalize with this batch's statistics and update the running ones (default false). */
  training?: boolean;
  /** Weight of the new batch in the running statistics; null: a cumulative average (default 0.1). */
  momentum?: number | null;
  eps?: number;
  /** Batches seen so far, for `momentum: null` (the cumulative average divides by it). */
  batchesTracked?: number;
}

function checkChannelTensor(t: Tensor | null, channels: number, name: string): void {
  if (t !== null && (!(t instanceof Tensor) || t.shape.length !== 1 || t.shape[0] !== channels)) {
    throw new RangeError(`batchNorm: ${name} must have shape [${channels}], got ${t instanceof Tensor ? shapeString(t.shape) : typeof t}`);
  }
}

function checkEps(eps: number, op: string): void {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`${op}: eps must be a finite number ≥ 0, got ${String(eps)}`);
}

/**
 * Batch normalization over x: [N, C, …]. In training the running statistics, when given, are
 * updated in place: r ← (1 − m)·r + m·batch, with the batch variance unbiased (÷ (n − 1)), as
 * PyTorch does, while the normalization itself uses the biased one.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null, bias: Tensor | null = null,
  { training = false, momentum = 0.1, eps = 1e-5, batchesTracked = 1 }: BatchNormOptions = {},
): Tensor {
  if (!(x instanceof Tensor) || x.shape.length < 2) throw new RangeError(`batchNorm: input must be [N, C, …], got ${x instanceof Tensor ? shapeString(x.shape) : typeof x}`);
  const channels = x.shape[1]!;
  checkChannelTensor(runningMean, channels, 'runningMean');
  checkChannelTensor(runningVar, channels, 'runningVar');
  checkChannelTensor(weight, channels, 'weight');
  checkChannelTensor(bias, channels, 'bias');
  checkEps(eps, 'batchNorm');
  if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) throw new RangeError(`batchNorm: momentum must be in [0, 1] or null, got ${String(momentum)}`);
  const n = x.shape[0]!;
  const inner = x.numel() / (n * channels);
  const count = n * inner;
  if (training && count <= 1) throw new RangeError(`batchNorm: expected more than 1 value per channel in training, got input ${shapeString(x.shape)}`);
  if (!training && (runningMean === null || runningVar === null)) throw new RangeError('batchNorm: evaluation needs runningMean and runningVar (or pass training: true)');
  const at = (s: number, c: number): number => (s * channels + c) * inner;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let mean: number;
    let variance: number;
    if (training) {
      let total = 0;
      for (let s = 0; s < n; s++) for (let i = at(s, c), end = i + inner; i < end; i++) total += x.data[i]!;
      mean = total / count;
      let squares = 0;
      for (let s = 0; s < n; s++) for (let i = at(s, c), end = i + inner; i < end; i++) squares += (x.data[i]! - mean) ** 2;
      variance = squares / count;
      if (runningMean !== null && runningVar !== null) {
        const m = momentum ?? 1 / batchesTracked;
        runningMean.data[c] = (1 - m) * runningMean.data[c]! + m * mean;
        runningVar.data[c] = (1 - m) * runningVar.data[c]! + m * variance * (count / (count - 1));
      }
    } else {
      mean = runningMean!.data[c]!;
      variance = runningVar!.data[c]!;
    }
    scale[c] = 1 / Math.sqrt(variance + eps);
    shift[c] = mean;
  }
  const dtype = [x, weight, bias].some((t) => t?.dtype === 'float64') ? 'float64' : 'float32';
  const normalized = new Float64Array(x.data.length);
  const out = allocate(x.data.length, dtype);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < channels; c++) {
      const gamma = weight === null ? 1 : weight.data[c]!;
      const beta = bias === null ? 0 : bias.data[c]!;
      for (let i = at(s, c), end = i + inner; i < end; i++) {
        normalized[i] = (x.data[i]! - shift[c]!) * scale[c]!;
        out[i] = gamma * normalized[i]! + beta;
      }
    }
  }
  const inputs = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  return record(new Tensor(out, x.shape), 'batchNorm', inputs, (dy) => {
    const sumDy = new Float64Array(channels);
    const sumDyXhat = new Float64Array(channels);
    for (let s = 0; s < n; s++) {
      for (let c = 0; c < channels; c++) {
        for (let i = at(s, c), end = i + inner; i < end; i++) {
          sumDy[c]! += dy.data[i]!;
          sumDyXhat[c]! += dy.data[i]! * normalized[i]!;
        }
      }
    }
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const d = allocate(x.data.length, x.dtype);
      for (let s = 0; s < n; s++) {
        for (let c = 0; c < channels; c++) {
          const k = (weight === null ? 1 : weight.data[c]!) * scale[c]!;
          const meanDy = training ? sumDy[c]! / count : 0;
          const meanDyXhat = training ? sumDyXhat[c]! / count : 0;
          for (let i = at(s, c), end = i + inner; i < end; i++) d[i] = k * (dy.data[i]! - meanDy - normalized[i]! * meanDyXhat);
        }
      }
      dx = new Tensor(d, x.shape);
    }
    const perChannel = (sums: Float64Array, like: Tensor): Tensor => {
      const d = allocate(channels, like.dtype);
      d.set(sums);
      return new Tensor(d, like.shape);
    };
    return [
      dx,
      ...(weight === null ? [] : [weight.requiresGrad ? perChannel(sumDyXhat, weight) : null]),
      ...(bias === null ? [] : [bias.requiresGrad ? perChannel(sumDy, bias) : null]),
    ];
  });
}

/** Layer normalization over the trailing dims named by `normalizedShape` (biased variance). */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const rank = normalizedShape.length;
  const tail = x.shape.slice(x.shape.length - rank);
  if (rank === 0 || x.shape.length < rank || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new RangeError(`layerNorm: input of shape ${shapeString(x.shape)} does not end in normalizedShape ${shapeString(normalizedShape)}`);
  }
  for (const [t, name] of [[weight, 'weight'], [bias, 'bias']] as const) {
    if (t !== null && (t.shape.length !== rank || t.shape.some((d, i) => d !== normalizedShape[i]))) {
      throw new RangeError(`layerNorm: ${name} must have shape ${shapeString(normalizedShape)}, got ${shapeString(t.shape)}`);
    }
  }
  checkEps(eps, 'layerNorm');
  const dims = Array.from({ length: rank }, (_, i) => x.shape.length - rank + i);
  let y = x.sub(x.mean(dims, true)).div(x.var(dims, true, 0).add(eps).sqrt());
  if (weight !== null) y = y.mul(weight);
  if (bias !== null) y = y.add(bias);
  return y;
}

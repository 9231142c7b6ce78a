/** Reductions over dims, with `keepdim`, and `sumTo`, the gradient of broadcasting. */
import { Tensor, allocate } from './tensor.js';
import { record } from '../autograd/engine.js';
import { normalizeDim, sameShape, shapeString, type Shape } from './shape.js';
import { walkBroadcast, div, mul, abs, pow, exp, log, sqrt, sub, add } from './elementwise.js';
import { reshape, expand } from './movement.js';

interface Reduction {
  dims: number[];
  keepShape: number[];
  outShape: number[];
  count: number;
}

function plan(x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean, op: string): Reduction {
  const rank = x.shape.length;
  const dims =
    dim === undefined
      ? x.shape.map((_, i) => i)
      : [...new Set((typeof dim === 'number' ? [dim] : [...dim]).map((d) => normalizeDim(d, rank, op)))];
  const keepShape = x.shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const outShape = keepdim ? keepShape : x.shape.filter((_, i) => !dims.includes(i));
  const count = dims.reduce((p, d) => p * (x.shape[d] ?? 1), 1);
  return { dims, keepShape, outShape, count };
}

/** Folds every element into its slot of the kept shape. */
function fold(x: Tensor, keepShape: Shape, init: number, f: (acc: number, v: number) => number): Float64Array {
  const acc = new Float64Array(keepShape.reduce((p, d) => p * d, 1)).fill(init);
  const src = x.data;
  walkBroadcast(x.shape, x.shape, keepShape, (_i, ix, io) => {
    acc[io] = f(acc[io]!, src[ix]!);
  });
  return acc;
}

function fromAccumulator(acc: Float64Array, shape: Shape, like: Tensor): Tensor {
  const out = allocate(acc.length, like.dtype);
  out.set(acc);
  return new Tensor(out, shape);
}

/**
 * Σ over the reduced dims into float64 slots of the kept shape. When the reduced dims are
 * adjacent, x reads as [outer, reduced, inner] and the sum is three plain loops (the bias
 * gradient, Σ over the rows of [rows, features], is outer = 1); otherwise it walks the broadcast.
 */
function sumInto(x: Tensor, dims: readonly number[], keepShape: Shape): Float64Array {
  const first = Math.min(...dims);
  const last = Math.max(...dims);
  if (dims.length === 0 || last - first + 1 !== dims.length) return fold(x, keepShape, 0, (a, v) => a + v);
  const sizes = x.shape;
  const outer = sizes.slice(0, first).reduce((p, d) => p * d, 1);
  const reduced = sizes.slice(first, last + 1).reduce((p, d) => p * d, 1);
  const inner = sizes.slice(last + 1).reduce((p, d) => p * d, 1);
  const acc = new Float64Array(outer * inner);
  const src = x.data;
  for (let o = 0; o < outer; o++) {
    const slot = o * inner;
    if (inner === 1) {
      let total = 0;
      for (let r = slot * reduced; r < (slot + 1) * reduced; r++) total += src[r]!;
      acc[slot] = total;
      continue;
    }
    for (let r = 0; r < reduced; r++) {
      const from = (o * reduced + r) * inner;
      for (let i = 0; i < inner; i++) acc[slot + i]! += src[from + i]!;
    }
  }
  return acc;
}

/** Sums in float64 and stores in the input's dtype. */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const p = plan(x, dim, keepdim, 'sum');
  const out = fromAccumulator(sumInto(x, p.dims, p.keepShape), p.outShape, x);
  return record(out, 'sum', [x], (g) => [expand(reshape(g, p.keepShape), x.shape)]);
}

export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const p = plan(x, dim, keepdim, 'mean');
  if (p.count === 0) throw new RangeError(`mean: cannot average over an empty dimension of shape ${shapeString(x.shape)}`);
  return div(sum(x, dim, keepdim), p.count);
}

/** The sum of `g` down to `shape`: the adjoint of broadcasting `shape` up to `g.shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  if (lead < 0) throw new Error(`internal: sumTo cannot grow ${shapeString(g.shape)} to ${shapeString(shape)}`);
  const dims: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const summed = dims.length === 0 ? g : sum(g, dims, true);
  return reshape(summed, shape);
}

/** Position of the extreme value along `dim` for every slot of the kept shape. */
function extremeIndex(x: Tensor, dim: number | undefined, better: (v: number, best: number) => boolean, op: string) {
  if (x.data.length === 0) throw new RangeError(`${op}: cannot reduce an empty tensor`);
  if (dim === undefined) {
    let best = 0;
    for (let i = 1; i < x.data.length; i++) if (better(x.data[i]!, x.data[best]!)) best = i;
    return { flat: Int32Array.of(best), along: Int32Array.of(best), keepShape: x.shape.map(() => 1), d: -1 };
  }
  const d = normalizeDim(dim, x.shape.length, op);
  const size = x.shape[d] ?? 1;
  if (size === 0) throw new RangeError(`${op}: cannot reduce over an empty dimension ${d} of shape ${shapeString(x.shape)}`);
  const inner = x.shape.slice(d + 1).reduce((p, s) => p * s, 1);
  const outer = x.data.length / (size * inner);
  const flat = new Int32Array(outer * inner);
  const along = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let bestK = 0;
      for (let k = 1; k < size; k++) if (better(x.data[base + k * inner]!, x.data[base + bestK * inner]!)) bestK = k;
      flat[o * inner + i] = base + bestK * inner;
      along[o * inner + i] = bestK;
    }
  }
  const keepShape = x.shape.map((s, i) => (i === d ? 1 : s));
  return { flat, along, keepShape, d };
}

function extreme(x: Tensor, dim: number | undefined, keepdim: boolean, op: string, better: (v: number, best: number) => boolean): Tensor {
  const { flat, keepShape, d } = extremeIndex(x, dim, better, op);
  const outShape = keepdim ? keepShape : d < 0 ? [] : x.shape.filter((_, i) => i !== d);
  const out = allocate(flat.length, x.dtype);
  for (let i = 0; i < flat.length; i++) out[i] = x.data[flat[i]!]!;
  return record(new Tensor(out, outShape), op, [x], (g) => {
    // The gradient goes to the first position that holds the extreme value.
    const gx = allocate(x.data.length, x.dtype);
    for (let i = 0; i < flat.length; i++) gx[flat[i]!]! += g.data[i]!;
    return [new Tensor(gx, x.shape)];
  });
}

const greater = (v: number, best: number): boolean => v > best || (Number.isNaN(v) && !Number.isNaN(best));
const less = (v: number, best: number): boolean => v < best || (Number.isNaN(v) && !Number.isNaN(best));

/** The largest value, over everything or along `dim`. */
export function max(x: Tensor, dim?: number, keepdim = false): Tensor {
  return extreme(x, dim, keepdim, 'max', greater);
}

export function min(x: Tensor, dim?: number, keepdim = false): Tensor {
  return extreme(x, dim, keepdim, 'min', less);
}

function argExtreme(x: Tensor, dim: number | undefined, keepdim: boolean, op: string, better: (v: number, best: number) => boolean): Tensor {
  const { along, flat, keepShape, d } = extremeIndex(x, dim, better, op);
  const outShape = keepdim ? keepShape : d < 0 ? [] : x.shape.filter((_, i) => i !== d);
  const positions = d < 0 ? flat : along;
  return new Tensor(Float32Array.from(positions), outShape);
}

/** Index of the largest value (flat when `dim` is omitted), as a float32 tensor of integers. */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme(x, dim, keepdim, 'argmax', greater);
}

export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme(x, dim, keepdim, 'argmin', less);
}

/** The p-norm over `dim` (all elements when omitted); p may be Infinity. */
export function norm(x: Tensor, p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
  if (typeof p !== 'number' || Number.isNaN(p) || p <= 0) throw new RangeError(`norm: p must be a positive number or Infinity, got ${p}`);
  if (p === Infinity) {
    const pl = plan(x, dim, keepdim, 'norm');
    const a = abs(x);
    const out = fromAccumulator(fold(a, pl.keepShape, 0, (acc, v) => (v > acc ? v : acc)), pl.outShape, x);
    return record(out, 'norm', [x], (g) => {
      const peak = expand(reshape(out, pl.keepShape), x.shape);
      const gk = expand(reshape(g, pl.keepShape), x.shape);
      // Tied peaks share the gradient evenly (PyTorch's subgradient).
      const isPeak = x.data.map((v, i) => (Math.abs(v) === peak.data[i] && peak.data[i] !== 0 ? 1 : 0));
      const ties = expand(reshape(sum(new Tensor(isPeak, x.shape), pl.dims, true), pl.keepShape), x.shape);
      const gx = allocate(x.data.length, x.dtype);
      for (let i = 0; i < gx.length; i++) gx[i] = isPeak[i] ? (gk.data[i]! * Math.sign(x.data[i]!)) / ties.data[i]! : 0;
      return [new Tensor(gx, x.shape)];
    });
  }
  if (p === 2) {
    const pl = plan(x, dim, keepdim, 'norm');
    const out = fromAccumulator(fold(x, pl.keepShape, 0, (acc, v) => acc + v * v), pl.outShape, x).data.map(Math.sqrt);
    const result = new Tensor(out, pl.outShape);
    return record(result, 'norm', [x], (g) => {
      // x / ||x||, with the subgradient 0 at the origin (as PyTorch).
      const n = expand(reshape(result, pl.keepShape), x.shape);
      const gk = expand(reshape(g, pl.keepShape), x.shape);
      const gx = allocate(x.data.length, x.dtype);
      for (let i = 0; i < gx.length; i++) gx[i] = n.data[i] === 0 ? 0 : (gk.data[i]! * x.data[i]!) / n.data[i]!;
      return [new Tensor(gx, x.shape)];
    });
  }
  return pow(sum(pow(abs(x), p), dim, keepdim), 1 / p);
}

/** log Σ exp(x) along `dim`, shifted by the max so that it neither overflows nor underflows. */
export function logSumExp(x: Tensor, dim: number, keepdim = false): Tensor {
  const peak = max(x, dim, true).detach();
  // A slot whose max is ±inf or NaN is shifted by 0, so an all −∞ row gives −∞ rather than NaN.
  const shift = new Tensor(peak.data.map((v) => (Number.isFinite(v) ? v : 0)), peak.shape);
  const lse = add(log(sum(exp(sub(x, shift)), dim, true)), shift);
  return keepdim ? lse : reshape(lse, lse.shape.filter((_, i) => i !== normalizeDim(dim, x.shape.length, 'logSumExp')));
}

/** Variance over `dim` with Bessel's `correction` (1 = unbiased, PyTorch's default). */
export function variance(x: Tensor, dim?: number | readonly number[], keepdim = false, correction = 1): Tensor {
  const p = plan(x, dim, keepdim, 'var');
  if (p.count - correction <= 0) throw new RangeError(`var: ${p.count} values leave no degrees of freedom with correction ${correction}`);
  const centered = sub(x, div(sum(x, dim, true), p.count));
  return div(sum(mul(centered, centered), dim, keepdim), p.count - correction);
}

/** Standard deviation over `dim` (unbiased by default, as PyTorch). */
export function std(x: Tensor, dim?: number | readonly number[], keepdim = false, correction = 1): Tensor {
  return sqrt(variance(x, dim, keepdim, correction));
}

/**
 * Elementwise ops with broadcasting. Each op's backward sits right under its forward; a
 * binary op's input gradient is reduced back to the input's shape by `sumTo`, the one rule
 * broadcasting needs.
 */
import { Tensor, allocate, type TensorLike, type DType, type FloatArray } from './tensor.js';
import { record } from '../autograd/engine.js';
import { broadcastShapes, broadcastStrides, sameShape, type Shape } from './shape.js';
import { sumTo } from './reduce.js';

function resultDtype(a: Tensor, b: Tensor): DType {
  return a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
}

/** Wraps a number as a 0-d tensor of `like`'s dtype. */
export function asTensor(value: TensorLike, like?: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new TypeError(`Expected a Tensor or a number, got ${typeof value}`);
  const data = allocate(1, like?.dtype ?? 'float32');
  data[0] = value;
  return new Tensor(data, []);
}

/**
 * One binary op over one run of a broadcast: out[o + i] = f(a[ai + i·sa], b[bi + i·sb]) for
 * i < n, where a stride is 1 (the operand walks along) or 0 (it is broadcast). Every path of
 * `broadcastRuns` calls a run once per stretch of output, never once per element, so add, sub,
 * mul and div, written out below, compile to plain loops; other ops wrap a closure (`runOf`).
 */
export type BinaryRun = (out: FloatArray, o: number, a: FloatArray, ai: number, sa: number, b: FloatArray, bi: number, sb: number, n: number) => void;

const addRun: BinaryRun = (out, o, a, ai, sa, b, bi, sb, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa]! + b[bi + i * sb]!;
};
const subRun: BinaryRun = (out, o, a, ai, sa, b, bi, sb, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa]! - b[bi + i * sb]!;
};
const mulRun: BinaryRun = (out, o, a, ai, sa, b, bi, sb, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa]! * b[bi + i * sb]!;
};
const divRun: BinaryRun = (out, o, a, ai, sa, b, bi, sb, n) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa]! / b[bi + i * sb]!;
};

/** The run of an op given elementwise by `f`. */
export function runOf(f: (x: number, y: number) => number): BinaryRun {
  return (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++) out[o + i] = f(a[ai + i * sa]!, b[bi + i * sb]!);
  };
}

/**
 * Applies `run` over the broadcast of `a` and `b` into a new array. Same-shape and scalar
 * operands are one run; otherwise each run is a stretch of the last dim (a bias row, say).
 */
export function broadcastRuns(a: Tensor, b: Tensor, run: BinaryRun, op: string, dtype: DType = resultDtype(a, b)): Tensor {
  const outShape = broadcastShapes(a.shape, b.shape, op);
  const out = allocate(outShape.reduce((p, d) => p * d, 1), dtype);
  const ad = a.data;
  const bd = b.data;
  const n = out.length;
  if (sameShape(a.shape, b.shape)) run(out, 0, ad, 0, 1, bd, 0, 1, n);
  else if (bd.length === 1) run(out, 0, ad, 0, 1, bd, 0, 0, n);
  else if (ad.length === 1) run(out, 0, ad, 0, 0, bd, 0, 1, n);
  else walkRuns(outShape, a.shape, b.shape, (i, ia, sa, ib, sb, length) => run(out, i, ad, ia, sa, bd, ib, sb, length));
  return new Tensor(out, outShape);
}

/** Applies `f` elementwise over the broadcast of `a` and `b` into a new array. */
export function broadcastMap(a: Tensor, b: Tensor, f: (x: number, y: number) => number, op: string, dtype: DType = resultDtype(a, b)): Tensor {
  return broadcastRuns(a, b, runOf(f), op, dtype);
}

/**
 * Visits `outShape` one stretch of its last dim at a time: `visit(i, ia, sa, ib, sb, length)`
 * covers output positions i … i + length − 1, which read `aShape` from flat offset ia in steps
 * of sa and `bShape` from ib in steps of sb (0 where that operand is broadcast).
 */
export function walkRuns(
  outShape: Shape, aShape: Shape, bShape: Shape,
  visit: (i: number, ia: number, sa: number, ib: number, sb: number, length: number) => void,
): void {
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const n = outShape.reduce((p, d) => p * d, 1);
  if (n === 0) return;
  const last = rank - 1;
  const inner = rank === 0 ? 1 : outShape[last]!;
  const saInner = rank === 0 ? 0 : sa[last]!;
  const sbInner = rank === 0 ? 0 : sb[last]!;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i += inner) {
    visit(i, ia, saInner, ib, sbInner, inner);
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

/** Visits every position of `outShape` with the matching flat offsets into `aShape` and `bShape`. */
export function walkBroadcast(outShape: Shape, aShape: Shape, bShape: Shape, visit: (i: number, ia: number, ib: number) => void): void {
  walkRuns(outShape, aShape, bShape, (i, ia, sa, ib, sb, length) => {
    for (let j = 0; j < length; j++) visit(i + j, ia + j * sa, ib + j * sb);
  });
}

/**
 * A unary op from its value `f(x)` and its local derivative `df(x, y, g)` = g·f'(x)
 * (given the input x, the output y and the upstream gradient g). The building block for
 * new differentiable primitives.
 */
export function unary(
  x: Tensor,
  op: string,
  f: (x: number) => number,
  df: (g: number, x: number, y: number) => number,
): Tensor {
  const src = x.data;
  const out = allocate(src.length, x.dtype);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  const result = new Tensor(out, x.shape);
  return record(result, op, [x], (g) => {
    const gd = g.data;
    const gx = allocate(gd.length, x.dtype);
    for (let i = 0; i < gd.length; i++) gx[i] = df(gd[i]!, src[i]!, out[i]!);
    return [new Tensor(gx, x.shape)];
  });
}

export function cast(x: Tensor, dtype: DType): Tensor {
  const out = allocate(x.data.length, dtype);
  out.set(x.data);
  return record(new Tensor(out, x.shape), 'to', [x], (g) => [cast(g, x.dtype)]);
}

// ---- binary arithmetic ----

export function add(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastRuns(a, b, addRun, 'add');
  return record(out, 'add', [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

export function sub(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastRuns(a, b, subRun, 'sub');
  return record(out, 'sub', [a, b], (g) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)]);
}

export function mul(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastRuns(a, b, mulRun, 'mul');
  return record(out, 'mul', [a, b], (g) => [
    a.requiresGrad ? sumTo(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(mul(g, a), b.shape) : null,
  ]);
}

export function div(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastRuns(a, b, divRun, 'div');
  return record(out, 'div', [a, b], (g) => [
    a.requiresGrad ? sumTo(div(g, b), a.shape) : null,
    // d(a/b)/db = -a/b² = -out/b
    b.requiresGrad ? sumTo(neg(div(mul(g, out), b)), b.shape) : null,
  ]);
}

export function pow(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastMap(a, b, (x, y) => Math.pow(x, y), 'pow');
  return record(out, 'pow', [a, b], (g) => [
    // d(a^b)/da = b·a^(b-1); written so that a = 0 with b ≥ 1 gives a finite value.
    a.requiresGrad ? sumTo(powGradBase(g, a, b), a.shape) : null,
    // d(a^b)/db = a^b·ln a
    b.requiresGrad ? sumTo(mul(mul(g, out), log(a)), b.shape) : null,
  ]);
}

function powGradBase(g: Tensor, a: Tensor, b: Tensor): Tensor {
  const gb = mul(g, b);
  const bm1 = sub(b, 1);
  return mul(gb, broadcastMap(a, bm1, (x, e) => (e === 0 ? 1 : Math.pow(x, e)), 'pow'));
}

export function maximum(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastMap(a, b, (x, y) => (x >= y ? x : y), 'maximum');
  return record(out, 'maximum', [a, b], (g) => {
    const pickA = broadcastMap(a, b, (x, y) => (x > y ? 1 : x === y ? 0.5 : 0), 'maximum');
    return [sumTo(mul(g, pickA), a.shape), sumTo(mul(g, sub(1, pickA)), b.shape)];
  });
}

export function minimum(aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const out = broadcastMap(a, b, (x, y) => (x <= y ? x : y), 'minimum');
  return record(out, 'minimum', [a, b], (g) => {
    const pickA = broadcastMap(a, b, (x, y) => (x < y ? 1 : x === y ? 0.5 : 0), 'minimum');
    return [sumTo(mul(g, pickA), a.shape), sumTo(mul(g, sub(1, pickA)), b.shape)];
  });
}

// ---- unary ----

export const neg = (x: Tensor): Tensor => unary(x, 'neg', (v) => -v, (g) => -g);
export const exp = (x: Tensor): Tensor => unary(x, 'exp', Math.exp, (g, _x, y) => g * y);
export const log = (x: Tensor): Tensor => unary(x, 'log', Math.log, (g, v) => g / v);
export const sqrt = (x: Tensor): Tensor => unary(x, 'sqrt', Math.sqrt, (g, _x, y) => g / (2 * y));
export const abs = (x: Tensor): Tensor => unary(x, 'abs', Math.abs, (g, v) => (v > 0 ? g : v < 0 ? -g : 0));
export const square = (x: Tensor): Tensor => unary(x, 'square', (v) => v * v, (g, v) => 2 * g * v);
export const tanh = (x: Tensor): Tensor => unary(x, 'tanh', Math.tanh, (g, _x, y) => g * (1 - y * y));
export const sigmoid = (x: Tensor): Tensor =>
  unary(x, 'sigmoid', (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))), (g, _x, y) => g * y * (1 - y));
export const sign = (x: Tensor): Tensor => unary(x, 'sign', Math.sign, () => 0);

/**
 * Two slots, [0, v]: `choice[+(x > 0)]` is x > 0 ? v : 0 without a branch. On activations the
 * sign is a coin toss, so a branch mispredicts half the time and costs three times the loop.
 * Loops read it through a local (`slots`), which the JIT keeps in a register.
 */
const choice = new Float64Array(2);

/** max(x, 0), with NaN mapped to 0; the gradient passes where x > 0. */
export function relu(x: Tensor): Tensor {
  const src = x.data;
  const n = src.length;
  const out = allocate(n, x.dtype);
  const slots = choice;
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    slots[1] = v;
    out[i] = slots[+(v > 0)]!;
  }
  return record(new Tensor(out, x.shape), 'relu', [x], (g) => {
    const gd = g.data;
    const gx = allocate(n, x.dtype);
    for (let i = 0; i < n; i++) {
      slots[1] = gd[i]!;
      gx[i] = slots[+(src[i]! > 0)]!;
    }
    return [new Tensor(gx, x.shape)];
  });
}

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new RangeError('clamp: min and max must not be NaN');
  if (lo > hi) throw new RangeError(`clamp: min ${lo} is greater than max ${hi}`);
  return unary(x, 'clamp', (v) => (v < lo ? lo : v > hi ? hi : v), (g, v) => (v >= lo && v <= hi ? g : 0));
}

// ---- comparisons and selection (no gradient through the mask) ----

function compare(aLike: TensorLike, bLike: TensorLike, op: string, f: (x: number, y: number) => boolean): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  return broadcastMap(a, b, (x, y) => (f(x, y) ? 1 : 0), op, 'float32');
}

export const eq = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'eq', (x, y) => x === y);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'ne', (x, y) => x !== y);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'lt', (x, y) => x < y);
export const le = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'le', (x, y) => x <= y);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'gt', (x, y) => x > y);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'ge', (x, y) => x >= y);

/** `condition ? a : b` elementwise, with broadcasting over all three. */
export function where(condition: Tensor, aLike: TensorLike, bLike: TensorLike): Tensor {
  const a = asTensor(aLike, bLike instanceof Tensor ? bLike : undefined);
  const b = asTensor(bLike, a);
  const shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, 'where'), b.shape, 'where');
  const cond = broadcastMap(condition, zerosOf(shape), (c) => (c !== 0 ? 1 : 0), 'where', 'float32');
  // Picked elementwise rather than as a·c + b·(1−c), so that inf or NaN in the branch not taken cannot leak.
  const exact = new Tensor(allocate(cond.data.length, a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32'), shape);
  walkBroadcast(shape, a.shape, b.shape, (i, ia, ib) => {
    exact.data[i] = cond.data[i] !== 0 ? a.data[ia]! : b.data[ib]!;
  });
  return record(exact, 'where', [a, b], (g) => [sumTo(mul(g, cond), a.shape), sumTo(mul(g, sub(1, cond)), b.shape)]);
}

function zerosOf(shape: Shape): Tensor {
  return new Tensor(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
}


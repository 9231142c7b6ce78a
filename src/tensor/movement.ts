/** Ops that move values without arithmetic: reshapes, permutations, slices, gathers, joins. */
import { Tensor, allocate, type IndexLike } from './tensor.js';
import { record } from '../autograd/engine.js';
import { inferShape, normalizeDim, numel, shapeString, stridesOf, broadcastShapes, sameShape, type Shape } from './shape.js';
import { walkBroadcast } from './elementwise.js';
import { sumTo } from './reduce.js';

/** Same values in a new shape; shares storage (a view). One size may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = inferShape(shape, x.data.length, 'reshape');
  if (sameShape(target, x.shape)) return x;
  return record(new Tensor(x.data, target), 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.shape.length === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.shape.length, 'flatten');
  const e = normalizeDim(endDim, x.shape.length, 'flatten');
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.shape.length + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const d = normalizeDim(dim, x.shape.length, 'squeeze');
  return x.shape[d] === 1 ? reshape(x, x.shape.filter((_, i) => i !== d)) : x;
}

/** Reorders dims; copies into a new contiguous tensor. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (dims.length !== rank) throw new RangeError(`permute: got ${dims.length} dims for a tensor of rank ${rank}`);
  const order = dims.map((d) => normalizeDim(d, rank, 'permute'));
  if (new Set(order).size !== rank) throw new RangeError(`permute: dims [${dims.join(', ')}] repeat a dimension`);
  const outShape = order.map((d) => x.shape[d]!);
  const inStrides = stridesOf(x.shape);
  const readStrides = order.map((d) => inStrides[d]!);
  const out = allocate(x.data.length, x.dtype);
  const src = x.data;
  // Walk the output in order, reading the input through permuted strides.
  const idx = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[offset]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      offset += readStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      offset -= readStrides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  const inverse = new Array<number>(rank);
  order.forEach((d, i) => (inverse[d] = i));
  return record(new Tensor(out, outShape), 'permute', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, dim0 = 0, dim1 = 1): Tensor {
  const rank = x.shape.length;
  if (rank < 2) return x;
  const a = normalizeDim(dim0, rank, 'transpose');
  const b = normalizeDim(dim1, rank, 'transpose');
  const order = x.shape.map((_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

/** Broadcasts to a larger shape (a copy); -1 keeps a size. */
export function expand(x: Tensor, shape: Shape): Tensor {
  const offset = shape.length - x.shape.length;
  if (offset < 0) throw new RangeError(`expand: cannot expand shape ${shapeString(x.shape)} to fewer dims ${shapeString(shape)}`);
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - offset] ?? 1 : d));
  if (!sameShape(broadcastShapes(x.shape, target, 'expand'), target)) {
    throw new RangeError(`expand: shape ${shapeString(x.shape)} cannot be expanded to ${shapeString(shape)}`);
  }
  if (sameShape(target, x.shape)) return x;
  const out = allocate(numel(target), x.dtype);
  const src = x.data;
  walkBroadcast(target, x.shape, target, (i, ix) => {
    out[i] = src[ix]!;
  });
  return record(new Tensor(out, target), 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

function normalizeRange(start: number, end: number | undefined, size: number, op: string): [number, number] {
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) {
    throw new RangeError(`${op}: start and end must be integers, got ${start} and ${end}`);
  }
  const clampTo = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = clampTo(start);
  const e = end === undefined ? size : clampTo(end);
  return [s, Math.max(s, e)];
}

/** Rows `start..end-1` along dim 0, Python-style (negative counts from the end). A view. */
export function slice(x: Tensor, start: number, end?: number): Tensor {
  if (x.shape.length === 0) throw new RangeError('slice: cannot slice a 0-d tensor');
  const rows = x.shape[0]!;
  const [s, e] = normalizeRange(start, end, rows, 'slice');
  const width = numel(x.shape.slice(1));
  const out = new Tensor(x.data.subarray(s * width, e * width), [e - s, ...x.shape.slice(1)]);
  return record(out, 'slice', [x], (g) => {
    const gx = allocate(x.data.length, x.dtype);
    gx.set(g.data, s * width);
    return [new Tensor(gx, x.shape)];
  });
}

/** Length `length` from `start` along `dim` (a copy). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'narrow');
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new RangeError(`narrow: start ${start} and length ${length} do not fit dimension ${d} of size ${size}`);
  }
  if (d === 0) return slice(x, s, s + length);
  const indices = Array.from({ length }, (_, i) => s + i);
  return indexSelect(x, d, indices);
}

/** Picks index `i` along `dim` and drops that dim. */
export function select(x: Tensor, dim: number, i: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'select');
  const size = x.shape[d]!;
  if (!Number.isInteger(i) || i < -size || i >= size) {
    throw new RangeError(`select: index ${i} is out of range for dimension ${d} of size ${size}`);
  }
  const k = i < 0 ? i + size : i;
  const picked = d === 0 ? slice(x, k, k + 1) : indexSelect(x, d, [k]);
  return reshape(picked, x.shape.filter((_, j) => j !== d));
}

/** Integer positions from any index form, each checked against `limit`. */
export function toIndices(index: IndexLike, limit: number, op: string): Int32Array {
  const values: ArrayLike<number> = index instanceof Tensor ? index.data : index;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new RangeError(`${op}: index ${v} is out of range for a dimension of size ${limit}`);
    }
    out[i] = v;
  }
  return out;
}

/** The entries at `index` along `dim` (a 1-D list of positions). */
export function indexSelect(x: Tensor, dim: number, index: IndexLike): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'indexSelect');
  if (index instanceof Tensor && index.shape.length > 1) throw new RangeError(`indexSelect: index must be 1-D, got shape ${shapeString(index.shape)}`);
  const positions = toIndices(index, x.shape[d]!, 'indexSelect');
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const size = x.shape[d]!;
  const outShape = x.shape.map((s, i) => (i === d ? positions.length : s));
  const out = allocate(numel(outShape), x.dtype);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < positions.length; k++) {
      const from = (o * size + positions[k]!) * inner;
      out.set(x.data.subarray(from, from + inner), (o * positions.length + k) * inner);
    }
  }
  return record(new Tensor(out, outShape), 'indexSelect', [x], (g) => {
    const gx = allocate(x.data.length, x.dtype);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < positions.length; k++) {
        const to = (o * size + positions[k]!) * inner;
        const from = (o * positions.length + k) * inner;
        for (let j = 0; j < inner; j++) gx[to + j]! += g.data[from + j]!;
      }
    }
    return [new Tensor(gx, x.shape)];
  });
}

/**
 * `out[i][j] = x[i][index[i][j]]` for dim 1 (and likewise for any dim): `index` has the
 * rank of `x`, and the output takes its shape.
 */
export function gather(x: Tensor, dim: number, index: IndexLike): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'gather');
  const indexShape = index instanceof Tensor ? index.shape : [index.length];
  if (indexShape.length !== x.shape.length) {
    throw new RangeError(`gather: index of rank ${indexShape.length} does not match input of rank ${x.shape.length}`);
  }
  indexShape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]!) throw new RangeError(`gather: index shape ${shapeString(indexShape)} exceeds input shape ${shapeString(x.shape)} at dim ${i}`);
  });
  const positions = toIndices(index, x.shape[d]!, 'gather');
  const xStrides = stridesOf(x.shape);
  const rank = indexShape.length;
  const sources = new Int32Array(positions.length);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < positions.length; i++) {
    let offset = 0;
    for (let k = 0; k < rank; k++) offset += (k === d ? positions[i]! : idx[k]!) * xStrides[k]!;
    sources[i] = offset;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < indexShape[k]!) break;
      idx[k] = 0;
    }
  }
  const out = allocate(positions.length, x.dtype);
  for (let i = 0; i < sources.length; i++) out[i] = x.data[sources[i]!]!;
  return record(new Tensor(out, [...indexShape]), 'gather', [x], (g) => {
    const gx = allocate(x.data.length, x.dtype);
    for (let i = 0; i < sources.length; i++) gx[sources[i]!]! += g.data[i]!;
    return [new Tensor(gx, x.shape)];
  });
}

/** Joins tensors along an existing dim. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('cat: expected a non-empty list of tensors');
  const first = tensors[0]!;
  const d = normalizeDim(dim, first.shape.length, 'cat');
  tensors.forEach((t, k) => {
    if (t.shape.length !== first.shape.length || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new RangeError(`cat: tensor ${k} has shape ${shapeString(t.shape)}, which does not match ${shapeString(first.shape)} outside dim ${d}`);
    }
  });
  const outer = numel(first.shape.slice(0, d));
  const inner = numel(first.shape.slice(d + 1));
  const sizes = tensors.map((t) => t.shape[d]!);
  const total = sizes.reduce((p, s) => p + s, 0);
  const outShape = first.shape.map((s, i) => (i === d ? total : s));
  const dtype = tensors.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
  const out = allocate(numel(outShape), dtype);
  let at = 0;
  tensors.forEach((t, k) => {
    const chunk = sizes[k]! * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * chunk, (o + 1) * chunk), o * total * inner + at * inner);
    at += sizes[k]!;
  });
  return record(new Tensor(out, outShape), 'cat', tensors, (g) => {
    let start = 0;
    return tensors.map((t, k) => {
      const gt = allocate(t.data.length, t.dtype);
      const chunk = sizes[k]! * inner;
      for (let o = 0; o < outer; o++) gt.set(g.data.subarray(o * total * inner + start * inner, o * total * inner + start * inner + chunk), o * chunk);
      start += sizes[k]!;
      return new Tensor(gt, t.shape);
    });
  });
}

/** Joins tensors of one shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('stack: expected a non-empty list of tensors');
  const first = tensors[0]!;
  tensors.forEach((t, k) => {
    if (!sameShape(t.shape, first.shape)) throw new RangeError(`stack: tensor ${k} has shape ${shapeString(t.shape)}, expected ${shapeString(first.shape)}`);
  });
  const d = normalizeDim(dim, first.shape.length + 1, 'stack');
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/**
 * Measurements taken on a live optimizer or model: the bytes an optimizer keeps, its
 * effective per-coordinate step, per-layer gradient norms, and the sharpness of a minimum.
 */
import { Tensor } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { Generator } from '../tensor/random.js';
import type { Module } from '../nn/index.js';
import { evaluate, type LabelledData } from './harness.js';
import { median } from './stats.js';

/**
 * Bytes of typed arrays reachable from an optimizer object, leaving out the parameters and
 * their gradients: its per-parameter state (Adam's m and v, SGD's momentum buffer), a
 * wrapper's copies (Lookahead's slow weights, SAM's saved weights) and any scratch it keeps.
 * Walking the object rather than reading a documented field measures what the optimizer
 * actually holds, whatever it calls it. Byte ranges are merged per underlying buffer, so an
 * array seen twice, or a view of a larger arena, counts once, and the ranges that hold the
 * parameters and gradients (which may share an arena with the state) are cut out.
 */
export function stateBytes(optimizer: object, params: readonly Tensor[]): number {
  type Range = [number, number];
  const held = new Map<ArrayBufferLike, Range[]>();
  const excluded = new Map<ArrayBufferLike, Range[]>();
  const add = (into: Map<ArrayBufferLike, Range[]>, view: ArrayBufferView): void => {
    const list = into.get(view.buffer) ?? [];
    list.push([view.byteOffset, view.byteOffset + view.byteLength]);
    into.set(view.buffer, list);
  };
  for (const p of params) {
    add(excluded, p.data);
    if (p.grad instanceof Tensor) add(excluded, p.grad.data);
    if (p.gradBuffer) add(excluded, p.gradBuffer);
  }
  const parameterSet = new Set<unknown>(params);
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 12 || seen.has(value) || parameterSet.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      add(held, value);
      return;
    }
    if (value instanceof Map) {
      for (const [key, entry] of value) {
        visit(key, depth + 1);
        visit(entry, depth + 1);
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const entry of value) visit(entry, depth + 1);
      return;
    }
    if (value instanceof Tensor) {
      visit(value.data, depth + 1);
      return;
    }
    for (const key of Object.getOwnPropertyNames(value)) visit((value as Record<string, unknown>)[key], depth + 1);
  };
  visit(optimizer, 0);
  let total = 0;
  for (const [buffer, ranges] of held) {
    for (const [start, end] of merge(ranges)) {
      total += end - start;
      for (const [cutStart, cutEnd] of merge(excluded.get(buffer) ?? [])) total -= Math.max(0, Math.min(end, cutEnd) - Math.max(start, cutStart));
    }
  }
  return total;
}

/** Sorted, non-overlapping union of byte ranges. */
function merge(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Number of scalar parameters. */
export function parameterCount(params: readonly Tensor[]): number {
  return params.reduce((n, p) => n + p.size, 0);
}

/** Copies of every parameter's values, to diff against after a step. */
export function snapshot(params: readonly Tensor[]): Float64Array[] {
  return params.map((p) => Float64Array.from(p.data));
}

/**
 * The effective learning rate of one step, coordinate by coordinate: |Δw| / |g|, the factor
 * by which the optimizer turned the gradient into a move. For SGD it is lr; for Adagrad and
 * RMSProp without momentum it is exactly lr / (√state + ε). The median over coordinates with a
 * non-negligible gradient summarizes a layer or a model.
 */
export function medianEffectiveLr(before: readonly Float64Array[], params: readonly Tensor[], gradients: readonly Float64Array[]): number {
  const ratios: number[] = [];
  params.forEach((p, k) => {
    const old = before[k]!;
    const g = gradients[k]!;
    for (let i = 0; i < old.length; i++) {
      const gi = Math.abs(g[i]!);
      if (gi > 1e-8) ratios.push(Math.abs(p.data[i]! - old[i]!) / gi);
    }
  });
  return median(ratios);
}

/** Dense copies of the parameters' current gradients (zeros where a parameter has none). */
export function gradientCopies(params: readonly Tensor[]): Float64Array[] {
  return params.map((p) => {
    const g = p.grad;
    if (g === null) return new Float64Array(p.size);
    return Float64Array.from(g instanceof SparseRows ? g.toDense().data : g.data);
  });
}

export function l2(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

/**
 * Sharpness of the minimum a model sits in: the mean increase of the training loss when all
 * weights move by ±d, for `samples` random directions d of fixed total norm `radius` drawn
 * from `generator`. Averaging L(w + d) and L(w − d) cancels the first-order term, so what is
 * left measures curvature (½ dᵀHd to second order) rather than the slope along d. A flat
 * minimum barely notices; a sharp one climbs.
 */
export function sharpness(model: Module, data: LabelledData, radius: number, samples: number, generator: Generator): { base: number; increase: number; increases: number[] } {
  const params = model.parameters();
  const base = evaluate(model, data).loss;
  const saved = params.map((p) => p.data.slice());
  const lossAt = (direction: Float64Array[], sign: number, norm: number): number => {
    params.forEach((p, k) => {
      const d = direction[k]!;
      for (let i = 0; i < d.length; i++) p.data[i] = saved[k]![i]! + (sign * radius * d[i]!) / norm;
    });
    return evaluate(model, data).loss;
  };
  const increases: number[] = [];
  try {
    for (let s = 0; s < samples; s++) {
      const direction = params.map((p) => Float64Array.from({ length: p.size }, () => generator.normal()));
      const norm = Math.sqrt(direction.reduce((sum, d) => sum + l2(d) ** 2, 0));
      increases.push((lossAt(direction, 1, norm) + lossAt(direction, -1, norm)) / 2 - base);
    }
  } finally {
    params.forEach((p, k) => p.data.set(saved[k]!));
  }
  return { base, increase: increases.reduce((a, b) => a + b, 0) / samples, increases };
}

/**
 * Bytes of the per-parameter tensors in a state dict (what a checkpoint saves), 4 per float32
 * element and 8 per float64; scalars such as `step` and the groups' options count as O(1),
 * that is 0.
 */
export function stateDictBytes(dict: unknown): number {
  let total = 0;
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.shape) && Array.isArray(record.data)) {
      // A 0-d tensor (PyTorch's `step`) is a scalar: O(1), not per parameter.
      if (record.shape.length > 0) total += record.data.length * (record.dtype === 'float64' ? 8 : 4);
      return;
    }
    for (const v of Object.values(record)) visit(v);
  };
  // The whole dict: a wrapper nests its inner optimizer's dict (`base`) beside its own tensors.
  visit(dict);
  return total;
}

/**
 * Measurements taken on a live optimizer or model: the bytes an optimizer keeps, its
 * effective per-coordinate step, per-layer gradient norms, and the curvature of a minimum.
 */
import { Tensor } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import type { Generator } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import * as F from '../nn/functional.js';
import type { Module } from '../nn/index.js';
import type { LabelledData } from './harness.js';
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

export interface Curvature {
  /** Mean cross-entropy on the probe digits at the trained weights. */
  readonly loss: number;
  /** The largest Hessian eigenvalue λ_max of that loss, by power iteration. */
  readonly topEigenvalue: number;
  /** λ after each power iteration, to judge convergence. */
  readonly iterates: number[];
  /** L(w + ρ·g/‖g‖) − L(w): the loss increase at SAM's own first-order worst point of radius ρ. */
  readonly ascentSharpness: number;
}

export interface CurvatureOptions {
  readonly iterations: number;
  /** The radius ρ_eval of the worst-case probe. */
  readonly rho: number;
  /** Draws the power iteration's start vector. */
  readonly generator: Generator;
}

/**
 * Curvature of a trained model's loss at its weights, computed in float64: the float32 weights
 * are copied for the measurement and put back after, so that differences of gradients are not
 * rounding noise.
 *
 * Power iteration v ← Hv/‖Hv‖ needs only Hessian-vector products, and those are differences
 * of gradients, Hv ≈ (∇L(w + εv) − ∇L(w))/ε with ‖v‖ = 1. ε = 10⁻⁶ keeps the truncation error
 * negligible in float64 and makes it unlikely that a ReLU switches between the two gradients
 * (a switch would add a kink, not curvature, to the product). The Rayleigh quotient vᵀHv after
 * the last iteration is the estimate; it approaches λ_max from below.
 */
export function curvature(model: Module, data: LabelledData, { iterations, rho, generator }: CurvatureOptions): Curvature {
  const epsilon = 1e-6;
  const x = noGrad(() => data.x.to('float64'));
  const params = model.parameters();
  const saved = params.map((p) => p.data);
  const origin = params.map((p) => Float64Array.from(p.data));
  const moveTo = (direction: readonly Float64Array[], scale: number): void => {
    params.forEach((p, k) => {
      const w = p.data;
      const o = origin[k]!;
      const d = direction[k]!;
      for (let i = 0; i < w.length; i++) w[i] = o[i]! + scale * d[i]!;
    });
  };
  const lossAndGradient = (into: Float64Array[]): number => {
    for (const p of params) p.grad = null;
    const loss = F.crossEntropy(model.call(x) as Tensor, data.y);
    loss.backward();
    params.forEach((p, k) => into[k]!.set((p.grad as Tensor).data));
    return loss.item();
  };
  params.forEach((p, k) => (p.data = Float64Array.from(origin[k]!)));
  try {
    const atOrigin = params.map((p) => new Float64Array(p.size));
    const moved = params.map((p) => new Float64Array(p.size));
    const loss = lossAndGradient(atOrigin);
    moveTo(atOrigin, rho / norm(atOrigin));
    const ascentSharpness = noGrad(() => F.crossEntropy(model.call(x) as Tensor, data.y).item()) - loss;

    let v = params.map((p) => Float64Array.from({ length: p.size }, () => generator.normal()));
    scale(v, 1 / norm(v));
    const iterates: number[] = [];
    for (let it = 0; it < iterations; it++) {
      moveTo(v, epsilon);
      lossAndGradient(moved);
      const hv = moved.map((g, k) => Float64Array.from(g, (gi, i) => (gi - atOrigin[k]![i]!) / epsilon));
      iterates.push(dot(hv, v));
      const length = norm(hv);
      if (!(length > 0)) break;
      scale(hv, 1 / length);
      v = hv;
    }
    return { loss, topEigenvalue: iterates[iterates.length - 1] ?? Number.NaN, iterates, ascentSharpness };
  } finally {
    params.forEach((p, k) => {
      p.data = saved[k]!;
      p.grad = null;
    });
  }
}

function dot(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let sum = 0;
  a.forEach((ak, k) => {
    const bk = b[k]!;
    for (let i = 0; i < ak.length; i++) sum += ak[i]! * bk[i]!;
  });
  return sum;
}

function norm(a: readonly Float64Array[]): number {
  return Math.sqrt(dot(a, a));
}

function scale(a: readonly Float64Array[], factor: number): void {
  for (const ak of a) for (let i = 0; i < ak.length; i++) ak[i]! *= factor;
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

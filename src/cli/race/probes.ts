/**
 * Measurements taken on a live optimizer or model: the bytes an optimizer keeps, its
 * effective per-coordinate step, per-layer gradient norms, and the sharpness of a minimum.
 */
import { Tensor } from '../../tensor/tensor.js';
import { SparseRows } from '../../tensor/sparse.js';
import { Generator } from '../../tensor/random.js';
import type { Module } from '../../nn/index.js';
import { evaluate, type LabelledData } from './harness.js';

/**
 * Bytes of typed arrays reachable from an optimizer object, leaving out the parameters and
 * their gradients: its per-parameter state (Adam's m and v, SGD's momentum buffer), a
 * wrapper's copies (Lookahead's slow weights, SAM's saved weights) and any scratch it keeps.
 * Walking the object rather than reading a documented field measures what the optimizer
 * actually holds, whatever it calls it. Each buffer region counts once.
 */
export function stateBytes(optimizer: object, params: readonly Tensor[]): number {
  const parameterBuffers = new Set<ArrayBufferLike>();
  for (const p of params) {
    parameterBuffers.add(p.data.buffer);
    if (p.grad instanceof Tensor) parameterBuffers.add(p.grad.data.buffer);
    if (p.gradBuffer) parameterBuffers.add(p.gradBuffer.buffer);
  }
  const parameterSet = new Set<unknown>(params);
  const seen = new Set<unknown>();
  const regions = new Set<string>();
  const bufferIds = new Map<ArrayBufferLike, number>();
  let total = 0;
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 12 || seen.has(value) || parameterSet.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (parameterBuffers.has(value.buffer)) return;
      if (!bufferIds.has(value.buffer)) bufferIds.set(value.buffer, bufferIds.size);
      const region = `${bufferIds.get(value.buffer)}:${value.byteOffset}:${value.byteLength}`;
      if (!regions.has(region)) {
        regions.add(region);
        total += value.byteLength;
      }
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
    for (const key of Object.getOwnPropertyNames(value)) {
      // A parameter's graph and gradient hang off the parameters, which are excluded above.
      visit((value as Record<string, unknown>)[key], depth + 1);
    }
  };
  visit(optimizer, 0);
  return total;
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

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function l2(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

/**
 * Sharpness of the minimum a model sits in: the mean increase of the training loss when all
 * weights move by a random direction of fixed total norm `radius`, over `samples` directions
 * drawn from `generator`. A flat minimum barely notices; a sharp one climbs.
 */
export function sharpness(model: Module, data: LabelledData, radius: number, samples: number, generator: Generator): { base: number; increase: number; increases: number[] } {
  const params = model.parameters();
  const base = evaluate(model, data).loss;
  const saved = params.map((p) => p.data.slice());
  const increases: number[] = [];
  for (let s = 0; s < samples; s++) {
    const direction = params.map((p) => Float64Array.from({ length: p.size }, () => generator.normal()));
    const norm = Math.sqrt(direction.reduce((sum, d) => sum + l2(d) ** 2, 0));
    params.forEach((p, k) => {
      const d = direction[k]!;
      for (let i = 0; i < d.length; i++) p.data[i] = saved[k]![i]! + (radius * d[i]!) / norm;
    });
    increases.push(evaluate(model, data).loss - base);
    params.forEach((p, k) => p.data.set(saved[k]!));
  }
  return { base, increase: increases.reduce((a, b) => a + b, 0) / samples, increases };
}

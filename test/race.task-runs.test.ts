/**
 * The pieces of the task claims' training runs: label noise (its share and its seed), SAM's
 * radius reaching the wrapper, and the curvature probe against a Hessian worked out by hand.
 */
import { describe, it, expect } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { Generator } from '../src/tensor/random.js';
import { Linear } from '../src/nn/index.js';
import { noisyLabels, taskFactory } from '../src/race/claims/task-runs.js';
import { curvature } from '../src/race/probes.js';

describe('noisyLabels', () => {
  const clean = new Tensor(Float32Array.from({ length: 10000 }, (_, i) => i % 10), [10000]);
  it('replaces about the asked share by uniform digits (a tenth of which equal the truth)', () => {
    const noisy = noisyLabels(clean, 0.4, 10, new Generator(9));
    const changed = noisy.data.filter((v, i) => v !== clean.data[i]).length / clean.size;
    // expected 0.4 · 0.9 = 0.36; binomial sd √(0.36·0.64/10⁴) ≈ 0.005
    expect(changed).toBeGreaterThan(0.34);
    expect(changed).toBeLessThan(0.38);
    expect(noisy.data.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
  });
  it('is the same for the same generator seed and leaves the labels alone at 0', () => {
    expect(noisyLabels(clean, 0.4, 10, new Generator(9)).data).toEqual(noisyLabels(clean, 0.4, 10, new Generator(9)).data);
    expect(noisyLabels(clean, 0, 10, new Generator(9)).data).toEqual(clean.data);
    expect(() => noisyLabels(clean, 1.5, 10, new Generator(9))).toThrow(/fraction must be in \[0, 1\]/);
  });
});

describe('taskFactory', () => {
  it('gives SAM the radius asked for, around SGD with momentum 0.9', () => {
    const w = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
    const sam = taskFactory('sam', { rho: 0.2 })([w], 0.1) as unknown as { rho: number; inner: { paramGroups: Array<{ momentum: number; lr: number }> } };
    expect(sam.rho).toBe(0.2);
    expect(sam.inner.paramGroups[0]).toMatchObject({ momentum: 0.9, lr: 0.1 });
  });
});

describe('curvature', () => {
  // One sample x = 1 and two logits w = (a, b): L = −log softmax(w)₀, ∇L = p − e₀ and
  // H = diag(p) − ppᵀ = p₀p₁ [[1, −1], [−1, 1]], whose top eigenvalue is 2·p₀·p₁.
  const model = new Linear(1, 2, { bias: false });
  model.weight.data.set([0.3, -0.4]);
  const data = { x: new Tensor(Float32Array.of(1), [1, 1]), y: new Tensor(Float32Array.of(0), [1]) };
  const [a, b] = Array.from(model.weight.data);
  const p0 = Math.exp(a!) / (Math.exp(a!) + Math.exp(b!));
  const p1 = 1 - p0;
  const result = curvature(model, data, { iterations: 8, rho: 0.1, generator: new Generator(1) });
  it('finds λ_max = 2·p₀·p₁ by power iteration on differences of gradients', () => {
    expect(result.topEigenvalue).toBeCloseTo(2 * p0 * p1, 6);
    expect(result.loss).toBeCloseTo(-Math.log(p0), 6);
  });
  it('measures the ascent sharpness L(w + ρ·g/‖g‖) − L(w)', () => {
    // g = (p₀ − 1, p₁) = p₁·(−1, 1): the ascent moves a down and b up by ρ/√2 each
    const step = 0.1 / Math.SQRT2;
    const q0 = Math.exp(a! - step) / (Math.exp(a! - step) + Math.exp(b! + step));
    expect(result.ascentSharpness).toBeCloseTo(-Math.log(q0) + Math.log(p0), 6);
  });
  it('puts the float32 weights back as they were', () => {
    expect(model.weight.data).toBeInstanceOf(Float32Array);
    expect(Array.from(model.weight.data)).toEqual([a, b]);
    expect(model.weight.grad).toBeNull();
  });
});

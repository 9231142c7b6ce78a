/**
 * Adafactor (PyTorch 2.14's `torch.optim.Adafactor`) on both kernel paths: the second moment
 * of a tensor of two or more dimensions is kept as row and column means (sub-linear memory),
 * the step is relative to the parameter's RMS, and the update is clipped by its own RMS.
 * PyTorch 2.14's golden trajectories run in test/optim.golden.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend } from '../src/wasm/backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Adafactor } from '../src/optim/index.js';
import { adafactorSpec } from '../src/optim/adafactor.js';
import { assertAllclose } from './helpers/allclose.js';

function tensor(values: number[], shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const data = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  return new Tensor(data, shape, { requiresGrad: true });
}

function ramp(n: number, scale = 1, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => scale * Math.sin(1.7 * i + offset + 0.3));
}

describe.each(['js', 'wasm'] as const)('Adafactor, %s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  test('factored state: row and column means for ≥ 2 dims, the full moment below', () => {
    const shapes = [[6, 4], [5], [2, 3, 4], []];
    const params = shapes.map((s) => tensor(ramp(s.reduce((a, b) => a * b, 1)), s));
    const adafactor = new Adafactor(params);
    params.forEach((p, k) => (p.grad = new Tensor(Float32Array.from(ramp(p.data.length, 0.1, k)), [...p.shape])));
    adafactor.step();
    const shapesOf = (p: Tensor) => Object.fromEntries(Object.entries(adafactor.state.get(p)!).filter(([, v]) => v instanceof Tensor).map(([k, v]) => [k, (v as Tensor).shape]));
    expect(shapesOf(params[0]!)).toEqual({ row_var: [6, 1], col_var: [1, 4] });
    expect(shapesOf(params[1]!)).toEqual({ variance: [5] });
    expect(shapesOf(params[2]!)).toEqual({ row_var: [2, 3, 1], col_var: [2, 1, 4] });
    expect(shapesOf(params[3]!)).toEqual({ variance: [] });
    // The path taken: on the fused one the parameters (and their gradients) live in the arena,
    // while the factors stay in arrays of their own and go through its workspace for each call.
    for (const p of params) expect(p.gradBuffer?.buffer === p.data.buffer).toBe(backend === 'wasm');
  });

  test('first step of a vector by hand: V̂ = G², U = sign(G), step ρ·RMS(θ)', () => {
    // t = 1: 1 − β̂₂ = 1^τ = 1, so V̂ = G² and U = G/|G| = ±1, RMS(U) = 1 = d: no clipping.
    // ρ = min(γ, 1/√1) = γ = 0.01;  α = max(ε₂, RMS(θ))·ρ with RMS(θ) = √((9 + 16)/2).
    const p = tensor([3, -4], [2]);
    const adafactor = new Adafactor([p]);
    p.grad = new Tensor(Float32Array.from([0.2, 0.5]), [2]);
    adafactor.step();
    const alpha = Math.sqrt(12.5) * 0.01;
    assertAllclose(p.data, [3 - alpha, -4 - alpha], { rtol: 1e-6, atol: 0 });
  });

  test('the update is clipped where RMS(U) exceeds d, and only there', () => {
    // Step 2 of a vector whose gradient jumps: V̂ = V₁ + ω(G² − V₁) with ω = 2^−0.8 ≈ 0.574,
    // so |U| = |G|/√V̂ ≈ 1/√ω ≈ 1.32 > 1: with d = 1 the step shrinks by RMS(U)/d; with d = 2
    // (above RMS(U)) it does not.
    const run = (d: number) => {
      const p = tensor([1, 1, 1, 1], [4]);
      const adafactor = new Adafactor([p], { d });
      p.grad = new Tensor(Float32Array.from([1e-4, 1e-4, 1e-4, 1e-4]), [4]);
      adafactor.step();
      const before = Float32Array.from(p.data);
      p.grad = new Tensor(Float32Array.from([1, 1, 1, 1]), [4]);
      adafactor.step();
      return before[0]! - p.data[0]!;
    };
    const omega = 2 ** -0.8;
    const v = 1e-8 + omega * (1 - 1e-8);
    const rmsU = 1 / Math.sqrt(v);
    expect(rmsU).toBeGreaterThan(1);
    expect(rmsU).toBeLessThan(2);
    assertAllclose([run(1) * rmsU], [run(2)], { rtol: 1e-4, atol: 0 });
  });

  test('ρₜ = min(γ, 1/√t): γ while 1/√t is larger, 1/√t after', () => {
    // ε₂ = 1 above RMS(θ), so α = ρₜ; |G| = 1 keeps V̂ = 1 and U = ±1, so each step moves θ by
    // ρₜ. The gradient alternates, so θ stays within ±0.4 and the floor keeps holding.
    // 1/√t > 0.4 up to t = 6 (1/√6 ≈ 0.408), below it from t = 7 (1/√7 ≈ 0.378).
    const p = tensor([0, 0], [2]);
    const adafactor = new Adafactor([p], { lr: 0.4, eps: [null, 1] });
    const steps: number[] = [];
    for (let t = 1; t <= 9; t++) {
      const before = p.data[0]!;
      const g = t % 2 === 1 ? -1 : 1;
      p.grad = new Tensor(Float32Array.from([g, g]), [2]);
      adafactor.step();
      steps.push(Math.abs(p.data[0]! - before));
    }
    assertAllclose(steps, steps.map((_, i) => Math.min(0.4, 1 / Math.sqrt(i + 1))), { rtol: 1e-5, atol: 0 });
  });

  test("ε₁ = null is the parameter's machine epsilon: float32 and float64 differ below it", () => {
    // A gradient far below ε₁: U = G / max(√V̂, ε₁) = G/ε₁ with float32's ε₁ = 2⁻²³ (a tiny U),
    // but G/|G| = 1 with float64's 2⁻⁵² (a full step). θ = 0, so α = ε₂·γ = 1e-5.
    const stepOf = (dtype: 'float32' | 'float64') => {
      const p = tensor([0, 0], [2], dtype);
      const adafactor = new Adafactor([p]);
      p.grad = new Tensor(dtype === 'float32' ? Float32Array.from([1e-9, 1e-9]) : Float64Array.from([1e-9, 1e-9]), [2]);
      adafactor.step();
      return -p.data[0]!;
    };
    assertAllclose([stepOf('float32')], [1e-5 * (Math.fround(1e-9) / 2 ** -23)], { rtol: 1e-5, atol: 0 });
    assertAllclose([stepOf('float64')], [1e-5], { rtol: 1e-12, atol: 0 });
  });

  test('decoupled weight decay shrinks θ by 1 − γλ before the step', () => {
    const a = tensor([2, 2], [2]);
    const b = tensor([2, 2], [2]);
    const decayed = new Adafactor([a], { lr: 0.05, weightDecay: 0.5 });
    const plain = new Adafactor([b], { lr: 0.05 });
    for (const [p, o] of [[a, decayed], [b, plain]] as const) {
      p.grad = new Tensor(Float32Array.from([1, 1]), [2]);
      o.step();
    }
    // Same α (from θ before the decay) and U: the difference is the decay 2·γλ.
    assertAllclose([b.data[0]! - a.data[0]!], [2 * 0.05 * 0.5], { rtol: 1e-5, atol: 0 });
  });

  test('maximize climbs: the same steps as minimizing the negated gradient', () => {
    const a = tensor(ramp(12), [3, 4]);
    const b = tensor(ramp(12), [3, 4]);
    const climb = new Adafactor([a], { maximize: true });
    const descend = new Adafactor([b]);
    for (let t = 0; t < 3; t++) {
      const g = ramp(12, 0.1, t);
      a.grad = new Tensor(Float32Array.from(g), [3, 4]);
      b.grad = new Tensor(Float32Array.from(g.map((x) => -x)), [3, 4]);
      climb.step();
      descend.step();
    }
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

describe('Adafactor state and options', () => {
  test('state bytes per parameter: sub-linear for matrices, one buffer for vectors', () => {
    // A 512 × 256 matrix keeps 512 + 256 floats for 131072 values; a vector keeps one per value.
    expect(adafactorSpec.stateBytesPerParam({}, [[512, 256]])).toBeCloseTo((4 * (512 + 256)) / (512 * 256), 12);
    expect(adafactorSpec.stateBytesPerParam({}, [[100]])).toBe(4);
    expect(adafactorSpec.stateBytesPerParam({}, [[512, 256], [256]])).toBeCloseTo((4 * (512 + 256 + 256)) / (512 * 256 + 256), 12);
  });

  test.each([
    [{ beta2Decay: 0.1 }, /Invalid beta2Decay value: 0\.1/],
    [{ d: 0.5 }, /Invalid d value: 0\.5/],
    [{ eps: [-1, 1e-3] }, /eps/],
    [{ eps: [null, -1] }, /eps/],
    [{ eps: [1e-30] }, /eps/],
    [{ lr: -1 }, /Invalid learning rate: -1/],
    [{ weightDecay: -0.1 }, /Invalid weightDecay value: -0\.1/],
  ])('%j is refused', (options, error) => {
    expect(() => new Adafactor([tensor([1], [1])], options as never)).toThrow(error);
  });

  test("the state dict is PyTorch 2.14's, and a wrongly shaped row_var is refused", () => {
    const p = tensor(ramp(12), [3, 4]);
    const q = tensor(ramp(4), [4]);
    const adafactor = new Adafactor([p, q]);
    p.grad = new Tensor(Float32Array.from(ramp(12, 0.1)), [3, 4]);
    q.grad = new Tensor(Float32Array.from(ramp(4, 0.1)), [4]);
    adafactor.step();
    const sd = adafactor.stateDict();
    expect(sd.param_groups).toEqual([{ lr: 0.01, beta2_decay: -0.8, eps: [null, 1e-3], d: 1, weight_decay: 0, foreach: null, maximize: false, params: [0, 1] }]);
    expect(Object.keys(sd.state[0]!).sort()).toEqual(['col_var', 'row_var', 'step']);
    expect(Object.keys(sd.state[1]!).sort()).toEqual(['step', 'variance']);
    const other = new Adafactor([tensor(ramp(12), [3, 4]), tensor(ramp(4), [4])]);
    other.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect(other.stateDict()).toEqual(sd);
    const bad = JSON.parse(JSON.stringify(sd));
    bad.state[0].row_var = { shape: [4, 1], data: [1, 1, 1, 1] };
    expect(() => other.loadStateDict(bad)).toThrow(/row_var/);
    expect(other.stateDict()).toEqual(sd);
  });
});

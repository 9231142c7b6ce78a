/**
 * Muon (PyTorch 2.14's `torch.optim.Muon`) on both kernel paths: momentum, then the
 * Newton–Schulz iteration X ← aX + (bXXᵀ + c(XXᵀ)²)X, which maps each singular value σ of the
 * normalized direction through p(σ) = aσ + bσ³ + cσ⁵ five times, leaving the singular vectors
 * alone. It runs in bfloat16 as PyTorch's does. PyTorch 2.14's golden trajectories
 * run in test/optim.golden.test.ts, on both paths too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend } from '../src/wasm/backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Muon } from '../src/optim/index.js';
import { roundToBfloat16 } from '../src/optim/muon.js';
import { assertAllclose } from './helpers/allclose.js';

function matrix(rows: number, cols: number, f: (i: number, j: number) => number): Tensor {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = f(i, j);
  return new Tensor(data, [rows, cols], { requiresGrad: true });
}

const wave = (seed: number) => (i: number, j: number) => Math.sin(1.3 * i + 2.1 * j + seed);

/** p(σ) = aσ + bσ³ + cσ⁵ applied `steps` times, in doubles. */
function quintic(sigma: number, steps = 5): number {
  const [a, b, c] = [3.4445, -4.775, 2.0315];
  let s = sigma;
  for (let k = 0; k < steps; k++) s = a * s + b * s ** 3 + c * s ** 5;
  return s;
}

describe('bfloat16 rounding', () => {
  test('to the nearest of 8 significant bits, ties to even', () => {
    // Near 1 the bfloat16 spacing is 2⁻⁷.
    expect(roundToBfloat16(1 + 2 ** -9)).toBe(1);
    expect(roundToBfloat16(1 + 2 ** -8)).toBe(1); // a tie: 1 is even
    expect(roundToBfloat16(1 + 3 * 2 ** -8)).toBe(1 + 2 * 2 ** -7); // a tie: 1 + 2⁻⁶ is even
    expect(roundToBfloat16(1 + 2 ** -8 + 2 ** -12)).toBe(1 + 2 ** -7);
    expect(roundToBfloat16(-3.3)).toBe(-3.296875);
    expect(roundToBfloat16(0)).toBe(0);
  });
});

describe.each(['js', 'wasm'] as const)('Muon, %s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  test('a diagonal direction: each singular value goes through the quintic, in bfloat16, and nothing leaks off the diagonal', () => {
    // G = diag(3, 4), momentum 0: the direction is G, normalized σ = (0.6, 0.8). On a diagonal
    // every product has one term, so each iteration is, per σ and rounded as PyTorch rounds:
    // A = bf16(σ²), P = bf16(bA + cA²), σ ← bf16(aσ + Pσ).
    const p = matrix(2, 2, () => 0);
    const muon = new Muon([p], { lr: 0.1, momentum: 0, weightDecay: 0 });
    p.grad = new Tensor(Float32Array.from([3, 0, 0, 4]), [2, 2]);
    muon.step();
    const bf = roundToBfloat16;
    const [a, b, c] = [3.4445, -4.775, 2.0315];
    const iterate = (sigma: number) => {
      let s = bf(sigma);
      for (let k = 0; k < 5; k++) {
        const gram = bf(s * s);
        s = bf(a * s + bf(b * gram + c * gram * gram) * s);
      }
      return s;
    };
    expect([p.data[1], p.data[2]]).toEqual([0, 0]);
    expect([p.data[0], p.data[3]]).toEqual([Math.fround(-0.1 * iterate(3 / 5)), Math.fround(-0.1 * iterate(4 / 5))]);
    // bfloat16 keeps 8 bits per operation: the quintic in doubles lands within 5 %, both near 1.
    assertAllclose([p.data[0]!, p.data[3]!], [-0.1 * quintic(0.6), -0.1 * quintic(0.8)], { rtol: 5e-2, atol: 0 });
    for (const s of [quintic(0.6), quintic(0.8)]) expect(Math.abs(s - 1)).toBeLessThan(0.3);
  });

  test('a tall matrix gets the transpose of its transpose’s update, bit for bit', () => {
    // 'match_rms_adamw' scales by 0.2·√max(A, B), the same for both orientations.
    const wide = matrix(3, 7, wave(0));
    const tall = matrix(7, 3, (i, j) => wave(0)(j, i));
    const a = new Muon([wide], { lr: 0.05, adjustLrFn: 'match_rms_adamw' });
    const b = new Muon([tall], { lr: 0.05, adjustLrFn: 'match_rms_adamw' });
    for (let t = 0; t < 3; t++) {
      wide.grad = new Tensor(matrix(3, 7, wave(t + 1)).data, [3, 7]);
      tall.grad = new Tensor(matrix(7, 3, (i, j) => wave(t + 1)(j, i)).data, [7, 3]);
      a.step();
      b.step();
    }
    for (let i = 0; i < 3; i++) for (let j = 0; j < 7; j++) expect(tall.data[j * 3 + i]).toBe(wide.data[i * 7 + j]);
  });

  test("adjustLrFn: 'original' scales by √max(1, A/B), 'match_rms_adamw' by 0.2·√max(A, B)", () => {
    const update = (rows: number, cols: number, adjustLrFn: 'original' | 'match_rms_adamw') => {
      const p = matrix(rows, cols, () => 0);
      const muon = new Muon([p], { lr: 0.01, weightDecay: 0, adjustLrFn });
      p.grad = new Tensor(matrix(rows, cols, wave(2)).data, [rows, cols]);
      muon.step();
      return Math.hypot(...p.data);
    };
    // Tall 8 × 2: original √4 = 2, match 0.2·√8; wide 2 × 8: original 1, match 0.2·√8.
    assertAllclose([update(8, 2, 'match_rms_adamw') / update(8, 2, 'original')], [(0.2 * Math.sqrt(8)) / 2], { rtol: 1e-6, atol: 0 });
    assertAllclose([update(2, 8, 'match_rms_adamw') / update(2, 8, 'original')], [0.2 * Math.sqrt(8)], { rtol: 1e-6, atol: 0 });
  });

  test('nesterov looks ahead: G + β(B − G) instead of B', () => {
    // nsSteps 0 leaves the normalized direction, so a step is −γ·u/‖u‖. With β = 0.5:
    // B₁ = G₁/2, B₂ = B₁ + (G₂ − B₁)/2 = G₁/4 + G₂/2; Nesterov's u₂ = G₂ + (B₂ − G₂)/2 = G₁/8 + 3G₂/4.
    const g1 = matrix(3, 4, wave(1)).data;
    const g2 = matrix(3, 4, wave(7)).data;
    const secondStep = (nesterov: boolean) => {
      const p = matrix(3, 4, () => 0);
      const muon = new Muon([p], { lr: 0.01, weightDecay: 0, momentum: 0.5, nesterov, nsSteps: 0 });
      p.grad = new Tensor(Float32Array.from(g1), [3, 4]);
      muon.step();
      const before = Float32Array.from(p.data);
      p.grad = new Tensor(Float32Array.from(g2), [3, 4]);
      muon.step();
      return Array.from(p.data, (x, i) => x - before[i]!);
    };
    const direction = (w1: number, w2: number) => {
      const u = Array.from(g1, (x, i) => w1 * x + w2 * g2[i]!);
      const norm = Math.hypot(...u);
      return u.map((x) => (-0.01 * x) / norm);
    };
    assertAllclose(secondStep(true), direction(1 / 8, 3 / 4), { rtol: 1e-2, atol: 1e-5 });
    assertAllclose(secondStep(false), direction(1 / 4, 1 / 2), { rtol: 1e-2, atol: 1e-5 });
  });

  test('weight decay is decoupled: θ ← (1 − γλ)θ before the step', () => {
    const a = matrix(2, 3, wave(4));
    const b = matrix(2, 3, wave(4));
    const decayed = new Muon([a], { lr: 0.1, weightDecay: 0.5 });
    const plain = new Muon([b], { lr: 0.1, weightDecay: 0 });
    for (const [p, o] of [[a, decayed], [b, plain]] as const) {
      p.grad = new Tensor(matrix(2, 3, wave(5)).data, [2, 3]);
      o.step();
    }
    const start = matrix(2, 3, wave(4)).data;
    assertAllclose(Array.from(b.data, (x, i) => x - a.data[i]!), Array.from(start, (x) => 0.05 * x), { rtol: 1e-5, atol: 1e-7 });
  });
});

describe('Muon parameters and options', () => {
  test('refuses parameters that are not matrices, as PyTorch does, and points to AdamW', () => {
    const bias = new Tensor(new Float32Array(3), [3], { requiresGrad: true });
    expect(() => new Muon([matrix(2, 2, () => 1), bias])).toThrow(/Muon only supports 2D parameters.*size \[3\].*AdamW/);
    const muon = new Muon([matrix(2, 2, () => 1)]);
    expect(() => muon.addParamGroup({ params: [new Tensor(new Float32Array(8), [2, 2, 2], { requiresGrad: true })] })).toThrow(/size \[2, 2, 2\]/);
    expect(muon.paramGroups).toHaveLength(1);
  });

  test.each([
    [{ momentum: 1 }, /Invalid momentum value: 1/],
    [{ nsSteps: 100 }, /nsSteps/],
    [{ nsSteps: 2.5 }, /nsSteps/],
    [{ nsCoefficients: [1, 2] }, /nsCoefficients/],
    [{ adjustLrFn: 'sqrt' }, /adjustLrFn/],
    [{ eps: -1 }, /Invalid eps value: -1/],
    [{ lr: -1 }, /Invalid learning rate: -1/],
  ])('%j is refused', (options, error) => {
    expect(() => new Muon([matrix(2, 2, () => 1)], options as never)).toThrow(error);
  });

  test("the state dict is PyTorch 2.14's, and loads back", () => {
    const p = matrix(3, 2, wave(0));
    const muon = new Muon([p], { lr: 0.02 });
    p.grad = new Tensor(matrix(3, 2, wave(1)).data, [3, 2]);
    muon.step();
    const sd = muon.stateDict();
    expect(sd.param_groups).toEqual([{ lr: 0.02, weight_decay: 0.1, momentum: 0.95, nesterov: true, ns_coefficients: [3.4445, -4.775, 2.0315], eps: 1e-7, ns_steps: 5, adjust_lr_fn: null, params: [0] }]);
    expect(Object.keys(sd.state[0]!)).toEqual(['momentum_buffer']);
    const other = new Muon([matrix(3, 2, wave(0))]);
    other.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect(other.stateDict()).toEqual(sd);
  });
});

/**
 * ASGD (PyTorch 2.14's `torch.optim.ASGD`), worked by hand on both kernel paths: SGD with a
 * decay term, a step size ηₜ = γ / (1 + λγt)^α that shrinks with t, and the running average
 * `ax` of the iterates, which starts once t passes t₀. PyTorch 2.14's golden trajectories
 * run in test/optim.golden.test.ts, on both paths too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend } from '../src/wasm/backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { ASGD } from '../src/optim/index.js';
import { assertAllclose } from './helpers/allclose.js';

const f32 = Math.fround;

function param(values: number[]): Tensor {
  return new Tensor(Float32Array.from(values), [values.length], { requiresGrad: true });
}

function stepWith(optimizer: ASGD, p: Tensor, grad: number[]): void {
  p.grad = new Tensor(Float32Array.from(grad), [grad.length]);
  optimizer.step();
}

describe.each(['js', 'wasm'] as const)('ASGD, %s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  test('one step by hand: decay, step and the state η, μ for the next one', () => {
    // θ = 2, g = 0.5, γ = 0.1, λ = 0.5, λ_wd = 0.2: g ← 0.5 + 0.2·2 = 0.9;
    // θ ← (1 − λη)θ − ηg = 0.95·2 − 0.1·0.9 = 1.81; before t₀ the average is the iterate.
    const p = param([2]);
    const asgd = new ASGD([p], { lr: 0.1, lambd: 0.5, alpha: 0.75, t0: 3, weightDecay: 0.2 });
    stepWith(asgd, p, [0.5]);
    assertAllclose(p.data, [1.81], { rtol: 1e-6, atol: 0 });
    const s = asgd.state.get(p)!;
    assertAllclose(s.ax.data, p.data, { rtol: 0, atol: 0 });
    // η₁ = γ / (1 + λγ·1)^α = 0.1 / 1.05^0.75, rounded to float32 as PyTorch keeps it; μ₁ = 1/max(1, 1 − 3) = 1.
    expect(s.eta).toBe(f32(0.1 / 1.05 ** 0.75));
    expect(s.mu).toBe(1);
    expect(s.step).toBe(1);
  });

  test('ax is the iterate up to step t₀ + 1, then the mean of the iterates from step t₀ + 2 on', () => {
    const t0 = 2;
    const p = param([1, -1]);
    const asgd = new ASGD([p], { lr: 0.05, t0 });
    const iterates: number[][] = [];
    const grads = [[1, 2], [-0.5, 1], [0.25, -1], [2, 0.5], [-1, -1], [0.5, 0.5]];
    grads.forEach((g, t) => {
      stepWith(asgd, p, g);
      iterates.push(Array.from(p.data));
      const ax = Array.from(asgd.state.get(p)!.ax.data);
      const step = t + 1;
      // μ after step s is 1 / max(1, s − t₀), used by step s + 1.
      const from = step <= t0 + 1 ? step : t0 + 2;
      const window = iterates.slice(from - 1);
      const mean = [0, 1].map((i) => window.reduce((sum, x) => sum + x[i]!, 0) / window.length);
      assertAllclose(ax, mean, { rtol: 1e-6, atol: 1e-7 });
    });
    expect(asgd.state.get(p)!.mu).toBe(f32(1 / (grads.length - t0)));
  });

  test('maximize climbs: the same steps as minimizing the negated gradient (weight decay included)', () => {
    // PyTorch negates the gradient before adding λ_wd·θ, so the decay still pulls θ to 0.
    const a = param([0.5, -0.5]);
    const b = param([0.5, -0.5]);
    const climb = new ASGD([a], { lr: 0.1, maximize: true, weightDecay: 0.1, t0: 1 });
    const descend = new ASGD([b], { lr: 0.1, weightDecay: 0.1, t0: 1 });
    for (const g of [[1, -2], [2, 2], [-1, 0.5], [0.3, 0.3]]) {
      stepWith(climb, a, g);
      stepWith(descend, b, g.map((x) => -x));
    }
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(climb.stateDict().state).toEqual(descend.stateDict().state);
  });
});

describe('ASGD options', () => {
  test.each([
    [{ lr: -1 }, /Invalid learning rate: -1/],
    [{ lambd: -1e-4 }, /Invalid lambd value: -0\.0001/],
    [{ alpha: -0.5 }, /Invalid alpha value: -0\.5/],
    [{ t0: -1 }, /Invalid t0 value: -1/],
    [{ weightDecay: -0.1 }, /Invalid weightDecay value: -0\.1/],
  ])('%j is refused', (options, error) => {
    expect(() => new ASGD([param([1])], options as never)).toThrow(error);
  });

  test("the state dict is PyTorch 2.14's (η and μ as 0-d tensors), and loads back", () => {
    const q = param([1, -1]);
    const asgd = new ASGD([q], { lr: 0.02 });
    stepWith(asgd, q, [0.3, -0.1]);
    const sd = asgd.stateDict();
    expect(sd.param_groups).toEqual([{ lr: 0.02, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0, foreach: null, maximize: false, differentiable: false, capturable: false, params: [0] }]);
    expect(sd.state[0]!.eta).toEqual({ shape: [], data: [f32(0.02 / (1 + 1e-4 * 0.02) ** 0.75)] });
    expect(sd.state[0]!.mu).toEqual({ shape: [], data: [1] });
    const other = new ASGD([param([1, -1])]);
    other.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect(other.stateDict()).toEqual(sd);
  });
});

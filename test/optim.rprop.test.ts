/**
 * Rprop (PyTorch 2.14's `torch.optim.Rprop`), worked by hand on both kernel paths. Each step
 * size grows by η₊ while its gradient keeps its sign and shrinks by η₋ when the sign flips; the
 * flipped element then skips its step and forgets its gradient. PyTorch 2.14's golden
 * trajectories run in test/optim.golden.test.ts; the fused path equals the plain one in test/optim.paths.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend } from '../src/wasm/backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rprop } from '../src/optim/index.js';
import { assertAllclose } from './helpers/allclose.js';

const f32 = Math.fround;

function param(values: number[]): Tensor {
  return new Tensor(Float32Array.from(values), [values.length], { requiresGrad: true });
}

function stepWith(optimizer: Rprop, p: Tensor, grad: number[]): void {
  p.grad = new Tensor(Float32Array.from(grad), [grad.length]);
  optimizer.step();
}

describe.each(['js', 'wasm'] as const)('Rprop, %s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  test('two steps by hand: a kept sign grows the step, a flip shrinks it and skips', () => {
    const p = param([1, 1, 1]);
    const rprop = new Rprop([p], { lr: 0.1 });
    // Step 1: g_prev = 0, so every factor is 1: η = 0.1 and θ = 1 − 0.1·sign(g).
    stepWith(rprop, p, [2, -3, 0]);
    assertAllclose(p.data, [f32(1 - f32(0.1)), f32(1 + f32(0.1)), 1], { rtol: 0, atol: 0 });
    // Step 2: g·g_prev = (2, −12, 0): η = (0.1·1.2, 0.1·0.5, 0.1); the flipped element keeps
    // its weight and stores 0 as its previous gradient.
    stepWith(rprop, p, [1, 4, 5]);
    const eta = [f32(f32(0.1) * f32(1.2)), f32(f32(0.1) * 0.5), f32(0.1)];
    assertAllclose(rprop.state.get(p)!.step_size.data, eta, { rtol: 0, atol: 0 });
    assertAllclose(rprop.state.get(p)!.prev.data, [1, 0, 5], { rtol: 0, atol: 0 });
    assertAllclose(p.data, [f32(f32(1 - f32(0.1)) - eta[0]!), f32(1 + f32(0.1)), f32(1 - eta[2]!)], { rtol: 0, atol: 0 });
    expect(rprop.state.get(p)!.step).toBe(2);
  });

  test('step sizes stop at Γmax and Γmin, and move freely between them', () => {
    // η₀ = 1 inside [0.3, 1.3]. Growing: 1 → 1.2 (free) → 1.3 (1.44 clamped) → 1.3.
    const up = param([0]);
    const grower = new Rprop([up], { lr: 1, stepSizes: [0.3, 1.3] });
    const grown: number[] = [];
    for (let t = 0; t < 4; t++) {
      stepWith(grower, up, [1]);
      grown.push(grower.state.get(up)!.step_size.data[0]!);
    }
    assertAllclose(grown, [1, f32(1.2), f32(1.3), f32(1.3)], { rtol: 1e-7, atol: 0 });
    // Flipping every step (the flip zeroes g_prev, so the sign must flip against a live one):
    // + then − shrinks 1 → 0.5 (free); + − again: 0.5 → 0.3 (0.25 clamped).
    const down = param([0]);
    const shrinker = new Rprop([down], { lr: 1, stepSizes: [0.3, 1.3] });
    const shrunk: number[] = [];
    for (const g of [1, -1, 1, -1]) {
      stepWith(shrinker, down, [g]);
      shrunk.push(shrinker.state.get(down)!.step_size.data[0]!);
    }
    assertAllclose(shrunk, [1, 0.5, 0.5, 0.3], { rtol: 1e-7, atol: 0 });
  });

  test('maximize climbs: the same steps as minimizing the negated gradient', () => {
    const a = param([0.5, -0.5, 2]);
    const b = param([0.5, -0.5, 2]);
    const climb = new Rprop([a], { lr: 0.05, maximize: true });
    const descend = new Rprop([b], { lr: 0.05 });
    for (const g of [[1, -2, 3], [2, 2, -1], [-1, 0.5, -1]]) {
      stepWith(climb, a, g);
      stepWith(descend, b, g.map((x) => -x));
    }
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(climb.stateDict().state).toEqual(descend.stateDict().state);
  });

  test('a NaN gradient leaves its weight alone, as in PyTorch 2.14', () => {
    // Recorded from PyTorch 2.14.1: sign(NaN) is 0 in its vectorized kernel, so the weight stays;
    // the NaN is kept as the previous gradient, and an infinite one that flips is zeroed.
    const p = param([1, 2, 3]);
    const rprop = new Rprop([p], { lr: 0.1 });
    stepWith(rprop, p, [1, NaN, -1]);
    assertAllclose(p.data, [0.8999999761581421, 2, 3.0999999046325684], { rtol: 0, atol: 0 });
    expect(Number.isNaN(rprop.state.get(p)!.prev.data[1]!)).toBe(true);
    stepWith(rprop, p, [-1, 1, Infinity]);
    assertAllclose(p.data, [0.8999999761581421, 1.899999976158142, 3.0999999046325684], { rtol: 0, atol: 0 });
    assertAllclose(rprop.state.get(p)!.prev.data, [0, 1, 0], { rtol: 0, atol: 0 });
    assertAllclose(rprop.state.get(p)!.step_size.data, [0.05000000074505806, 0.10000000149011612, 0.05000000074505806], { rtol: 0, atol: 0 });
  });
});

describe('Rprop options', () => {
  const p = () => [param([1])];
  test.each([
    [{ etas: [1.5, 1.2] }, /Invalid eta values: 1\.5, 1\.2/],
    [{ etas: [0.5, 1] }, /Invalid eta values: 0\.5, 1/],
    [{ etas: [0, 1.2] }, /Invalid eta values: 0, 1\.2/],
    [{ etas: [0.5] }, /etas/],
    [{ stepSizes: [1, 0.5] }, /stepSizes/],
    [{ stepSizes: [-1, 50] }, /stepSizes/],
    [{ lr: -1 }, /Invalid learning rate: -1/],
  ])('%j is refused', (options, error) => {
    expect(() => new Rprop(p(), options as never)).toThrow(error);
  });

  test("the state dict is PyTorch 2.14's, and loads back", () => {
    const q = param([1, -1]);
    const rprop = new Rprop([q], { lr: 0.02 });
    stepWith(rprop, q, [0.3, -0.1]);
    const sd = rprop.stateDict();
    expect(sd.param_groups).toEqual([{ lr: 0.02, etas: [0.5, 1.2], step_sizes: [1e-6, 50], foreach: null, maximize: false, differentiable: false, capturable: false, params: [0] }]);
    expect(Object.keys(sd.state[0]!).sort()).toEqual(['prev', 'step', 'step_size']);
    expect(sd.state[0]!.step).toEqual({ shape: [], data: [1] });
    const copy = param([1, -1]);
    const other = new Rprop([copy]);
    other.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect(other.stateDict()).toEqual(sd);
  });
});

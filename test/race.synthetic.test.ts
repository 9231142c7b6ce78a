/**
 * The synthetic claims' machinery: quadratic forms of chosen conditioning and rotation, many
 * runs of one optimizer in lockstep (which must equal the runs made one by one), and the
 * search for the configuration that reaches a target first (checked against GD's closed form).
 */
import { describe, it, expect } from 'vitest';
import { tensor, Tensor } from '../src/tensor/index.js';
import { Generator } from '../src/tensor/random.js';
import { SGD, Adam, RMSprop } from '../src/optim/index.js';
import { illConditioned, illConditionedRotated } from '../src/surfaces/index.js';
import { quadraticBowl, quadraticHessian, QuadraticForm, logSpacedSpectrum, randomRotation } from '../src/surfaces/quadratic.js';
import { Lockstep, coarseThenFine, eighthOctavesAround, firstToReach, octaveGrid, type GroupOptimizerFactory } from '../src/race/claims/lockstep.js';
import { assertAllclose } from './helpers/allclose.js';

describe('quadraticBowl', () => {
  it('has the curvatures 1 and κ, on the axes at 0° and on the diagonals at 45°', () => {
    // A = R diag(1, 25) Rᵀ at 45°: a_xx = a_yy = (1 + 25)/2 = 13, a_xy = (1 − 25)/2 = −12.
    assertAllclose(Object.values(quadraticHessian(25, 45)), [13, 13, -12], { rtol: 1e-14 });
    assertAllclose(Object.values(quadraticHessian(25, 0)), [1, 25, 0], { rtol: 1e-14, atol: 1e-14 });
    for (const [x, y] of [
      [-3.5, 1.2],
      [0.3, -2],
    ] as const) {
      assertAllclose([illConditioned.value(x, y)], [(x * x + 25 * y * y) / 2], { rtol: 1e-14 }, 'axis-aligned value');
      assertAllclose([illConditionedRotated.value(x, y)], [(13 * x * x - 24 * x * y + 13 * y * y) / 2], { rtol: 1e-13 }, 'turned value');
      assertAllclose(Array.from(illConditionedRotated.gradient(x, y)), [13 * x - 12 * y, -12 * x + 13 * y], { rtol: 1e-13 }, 'turned gradient');
    }
    expect(quadraticBowl({ condition: 25 }).value(1, 1)).toBe(illConditioned.value(1, 1));
  });

  it('has the analytic gradient autograd finds, at any κ and angle', () => {
    const bowl = quadraticBowl({ condition: 300, angleDegrees: -30 });
    const point = tensor([0.7, -1.3], [2], { dtype: 'float64', requiresGrad: true });
    const value = bowl.tensorValue(point);
    value.backward();
    assertAllclose([value.item()], [bowl.value(0.7, -1.3)], { rtol: 1e-12 });
    assertAllclose(Array.from((point.grad as Tensor).data), Array.from(bowl.gradient(0.7, -1.3)), { rtol: 1e-12, atol: 1e-12 });
    expect(bowl.name).toBe('quadratic-k300-rm30');
  });

  it('refuses a condition below 1 or a non-finite angle', () => {
    expect(() => quadraticBowl({ condition: 0.5 })).toThrow(/condition must be a finite number ≥ 1, got 0.5/);
    expect(() => quadraticBowl({ condition: 10, angleDegrees: Number.NaN })).toThrow(/angleDegrees must be finite/);
  });
});

describe('QuadraticForm', () => {
  const d = 6;
  const spectrum = logSpacedSpectrum(d, 1000);
  const generator = new Generator(3);
  const rotation = randomRotation(d, () => generator.normal());

  it('spreads the spectrum from 1/κ to 1 evenly in log scale', () => {
    assertAllclose(Array.from(spectrum), [1e-3, 10 ** -2.4, 10 ** -1.8, 10 ** -1.2, 10 ** -0.6, 1], { rtol: 1e-12 });
  });

  it('builds an orthogonal rotation', () => {
    const product = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) product[i * d + j]! += rotation[i * d + k]! * rotation[j * d + k]!;
    assertAllclose(Array.from(product), Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0)), { atol: 1e-12 });
  });

  it('gives the turned form at Q v the value the aligned form has at v, and ∇f = A w', () => {
    const aligned = new QuadraticForm(spectrum);
    const turned = new QuadraticForm(spectrum, rotation);
    const v = Float64Array.from({ length: d }, (_, i) => Math.sin(i + 1));
    const w = turned.fromEigenbasis(v);
    assertAllclose([turned.value(w)], [aligned.value(v)], { rtol: 1e-12 });
    // f is quadratic, so central differences are exact up to rounding.
    const gradient = new Float64Array(d);
    turned.gradient(w, gradient);
    const h = 1e-4;
    const numeric = Array.from({ length: d }, (_, i) => {
      const plus = Float64Array.from(w);
      const minus = Float64Array.from(w);
      plus[i]! += h;
      minus[i]! -= h;
      return (turned.value(plus) - turned.value(minus)) / (2 * h);
    });
    assertAllclose(Array.from(gradient), numeric, { rtol: 1e-7, atol: 1e-9 });
    expect(turned.condition).toBeCloseTo(1000, 9);
  });

  it('refuses a spectrum with a non-positive curvature and a rotation of the wrong size', () => {
    expect(() => new QuadraticForm(Float64Array.of(1, 0))).toThrow(/eigenvalues must be a non-empty list of finite numbers > 0/);
    expect(() => new QuadraticForm(Float64Array.of(1, 2), new Float64Array(3))).toThrow(/rotation must hold 2 × 2 = 4 numbers, got 3/);
  });
});

describe('Lockstep', () => {
  const form = new QuadraticForm(logSpacedSpectrum(4, 50));
  const start = Float64Array.of(1, -2, 0.5, 3);
  const gradient = (w: Float64Array, out: Float64Array): void => form.gradient(w, out);
  const alone = (create: GroupOptimizerFactory, config: { lr: number; [key: string]: unknown }, steps: number): Float64Array => {
    const p = new Tensor(Float64Array.from(start), [4], { requiresGrad: true });
    const optimizer = create([{ ...config, params: [p] }]);
    for (let t = 0; t < steps; t++) {
      const g = new Float64Array(4);
      form.gradient(p.data as Float64Array, g);
      p.grad = new Tensor(g, [4]);
      optimizer.step();
    }
    return Float64Array.from(p.data);
  };

  it.each([
    ['SGD with momentum', (groups: Parameters<GroupOptimizerFactory>[0]) => new SGD(groups as never), [{ lr: 0.1, momentum: 0.9 }, { lr: 0.5, momentum: 0 }]],
    ['Adam', (groups: Parameters<GroupOptimizerFactory>[0]) => new Adam(groups as never), [{ lr: 0.01 }, { lr: 0.1 }]],
    ['RMSprop', (groups: Parameters<GroupOptimizerFactory>[0]) => new RMSprop(groups as never), [{ lr: 0.003 }, { lr: 0.03 }]],
  ] as const)('runs each configuration of %s exactly as it runs alone', (_name, create, configs) => {
    const runs = new Lockstep(create, configs, start, gradient);
    for (let t = 0; t < 25; t++) runs.step();
    configs.forEach((config, k) => expect(Array.from(runs.points[k]!)).toEqual(Array.from(alone(create, config, 25))));
  });

  it('leaves a retired run where it was', () => {
    const runs = new Lockstep((groups) => new SGD(groups as never), [{ lr: 0.1 }, { lr: 0.2 }], start, gradient);
    runs.step();
    runs.retire(0);
    const frozen = Array.from(runs.points[0]!);
    for (let t = 0; t < 5; t++) runs.step();
    expect(Array.from(runs.points[0]!)).toEqual(frozen);
    expect(Array.from(runs.points[1]!)).toEqual(Array.from(alone((groups) => new SGD(groups as never), { lr: 0.2 }, 6)));
  });
});

describe('firstToReach', () => {
  // f = ½ λ w², one coordinate, λ = 1: GD's iterate is (1 − lr)^t w₀.
  const problem = {
    start: Float64Array.of(1),
    value: (w: Float64Array) => 0.5 * w[0]! ** 2,
    gradient: (w: Float64Array, out: Float64Array) => void (out[0] = w[0]!),
  };
  const sgd: GroupOptimizerFactory = (groups) => new SGD(groups as never);

  it("finds GD's step count from its closed form, (1 − lr·λ)^(2t) ≤ ε, and the learning rate that gets there first", () => {
    const reduction = 1e-6;
    const closedForm = (lr: number): number => Math.ceil(Math.log(reduction) / (2 * Math.log(Math.abs(1 - lr))));
    const winner = firstToReach(sgd, [{ lr: 0.1 }, { lr: 0.3 }, { lr: 0.6 }, { lr: 2.5 }], problem, { target: reduction * 0.5, maxSteps: 1000, divergeAbove: 1e6 });
    expect(winner.config?.lr).toBe(0.6);
    expect(winner.steps).toBe(closedForm(0.6));
    const none = firstToReach(sgd, [{ lr: 0.001 }], problem, { target: reduction * 0.5, maxSteps: 50, divergeAbove: 1e6 });
    expect(none).toEqual({ steps: null, config: null });
  });

  it('refines around the coarse winner and keeps the faster of the two rounds', () => {
    const limits = { target: 0.5e-6, maxSteps: 1000, divergeAbove: 1e6 };
    // Coarse: 0.1 and 0.4 (0.4 wins); fine: 0.4 · 2^(k/8), k = −3…3, the largest 0.4 · 2^(3/8) ≈ 0.519 wins.
    const winner = coarseThenFine(sgd, [{ lr: 0.1 }, { lr: 0.4 }], (w) => eighthOctavesAround(w.lr).map((lr) => ({ lr })), problem, limits);
    expect(winner.config?.lr).toBeCloseTo(0.4 * 2 ** (3 / 8), 12);
    expect(winner.steps).toBe(Math.ceil(Math.log(1e-6) / (2 * Math.log(1 - 0.4 * 2 ** (3 / 8)))));
  });

  it('lays grids evenly in log scale, ends included', () => {
    assertAllclose(octaveGrid(0.25, 2, 2), [0.25, 2 ** -1.5, 0.5, 2 ** -0.5, 1, 2 ** 0.5, 2], { rtol: 1e-12 });
  });
});

import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { sparseRows } from '../src/tensor/sparse.js';
import { Generator } from '../src/tensor/random.js';
import { SGD } from '../src/optim/sgd.js';
import { Adam } from '../src/optim/adam.js';
import { Adagrad } from '../src/optim/adagrad.js';
import { LBFGS } from '../src/optim/lbfgs.js';
import { Lookahead, type LookaheadStateDict } from '../src/optim/lookahead.js';
import { SAM, type SAMStateDict } from '../src/optim/sam.js';
import type { OptimizerLike } from '../src/optim/wrapper.js';
import { StepLR } from '../src/schedulers/decay.js';
import { assertAllclose } from './helpers/allclose.js';
import { camelOptions, goldenCase, replayGolden, type GoldenCase } from './helpers/golden.js';

/** The golden README's base optimizers, by PyTorch's class name. */
function makeBase(c: GoldenCase, params: Tensor[]): SGD | Adam {
  const options = camelOptions(c.options.base_options as Record<string, unknown>);
  if (c.options.base === 'SGD') return new SGD(params, options);
  if (c.options.base === 'Adam') return new Adam(params, options);
  throw new Error(`${c.name}: no base optimizer ${String(c.options.base)} in this test`);
}

const bitwise = { rtol: 0, atol: 0 };

/** Seeded gradients for `steps` steps of params shaped like `shapes`. */
function gradientStream(shapes: number[][], steps: number, seed: number): Float32Array[][] {
  const g = new Generator(seed);
  return Array.from({ length: steps }, () => shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => g.normal())));
}

function freshParams(seed: number): Tensor[] {
  const g = new Generator(seed);
  return [
    new Tensor(Float32Array.from({ length: 6 }, () => g.normal()), [2, 3], { requiresGrad: true }),
    new Tensor(Float32Array.from({ length: 4 }, () => g.normal()), [4], { requiresGrad: true }),
  ];
}

function runWithGrads(optimizer: OptimizerLike, params: Tensor[], grads: Float32Array[][]): void {
  for (const stepGrads of grads) {
    params.forEach((p, i) => (p.grad = new Tensor(stepGrads[i]!.slice(), [...p.shape])));
    optimizer.step();
  }
}

/** L(w) = ½ Σ a (w − b)² + ¼ Σ w⁴: not quadratic, so SAM's perturbed gradient is not a shifted copy. */
function quarticClosure(params: Tensor[], optimizer: { zeroGrad(): void }): () => Tensor {
  const a = params.map((p) => tensor(Array.from({ length: p.data.length }, (_, i) => 0.5 + 0.25 * i), p.shape));
  const b = params.map((p) => tensor(Array.from({ length: p.data.length }, (_, i) => Math.sin(i)), p.shape));
  return () => {
    optimizer.zeroGrad();
    let loss = tensor([0], []);
    params.forEach((w, i) => {
      loss = loss.add(w.sub(b[i]!).square().mul(a[i]!).sum().mul(0.5)).add(w.square().square().sum().mul(0.25));
    });
    loss.backward();
    return loss;
  };
}

describe('Lookahead and SAM against the golden reference implementations', () => {
  for (const name of ['lookahead/adam', 'lookahead/sgd', 'sam/sgd', 'sam/adaptive']) {
    it(`${name}: params after every step${name.startsWith('sam') ? ' and the losses step returns' : ''}`, () => {
      const c = goldenCase(name);
      const { k, alpha, rho, adaptive } = c.options as { k?: number; alpha?: number; rho?: number; adaptive?: boolean };
      const result = replayGolden(c, (_input, params) => {
        const base = makeBase(c, params);
        return c.optimizer === 'Lookahead' ? new Lookahead(base, { k, alpha }) : new SAM(base, { rho, adaptive });
      });
      console.log(`${name}: max abs error ${result.maxAbsError.toExponential(2)}, max rel error ${result.maxRelError.toExponential(2)} over ${c.steps} steps`);
      expect(result.failure).toBeNull();
    });
  }
});

describe('Lookahead', () => {
  it('with k = 1 and α = 1 is its inner optimizer, bit for bit (Adam and SGD with momentum)', () => {
    const grads = gradientStream([[2, 3], [4]], 9, 7);
    for (const make of [(p: Tensor[]) => new Adam(p, { lr: 0.01 }), (p: Tensor[]) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })]) {
      const plainParams = freshParams(1);
      const wrappedParams = freshParams(1);
      runWithGrads(make(plainParams), plainParams, grads);
      runWithGrads(new Lookahead(make(wrappedParams), { k: 1, alpha: 1 }), wrappedParams, grads);
      wrappedParams.forEach((p, i) => assertAllclose(p.data, plainParams[i]!.data, bitwise, `param ${i}`));
    }
  });

  it('derivation: SGD with a constant gradient, k = 4, α = 0.5', () => {
    // Fast: w₀ − j·lr·g after j inner steps. At step 4: φ = w₀ + α(w₀ − 4·lr·g − w₀) = w₀ − 2·lr·g,
    // and the fast weights jump back to φ. Steps 5..8 go on from φ: at 8, φ' = φ − 2·lr·g = w₀ − 4·lr·g.
    const w = tensor([1, -2], [2], { requiresGrad: true, dtype: 'float64' });
    const lookahead = new Lookahead(new SGD([w], { lr: 0.1 }), { k: 4, alpha: 0.5 });
    const g = [0.5, 1];
    const after: number[][] = [];
    for (let step = 1; step <= 8; step++) {
      w.grad = tensor(g, [2], { dtype: 'float64' });
      lookahead.step();
      after.push(Array.from(w.data));
    }
    assertAllclose(after[2]!, [1 - 3 * 0.05, -2 - 3 * 0.1], { rtol: 1e-14 }, 'step 3: fast weights, no sync yet');
    assertAllclose(after[3]!, [1 - 2 * 0.05, -2 - 2 * 0.1], { rtol: 1e-14 }, 'step 4: synchronized at φ = w₀ − 2·lr·g');
    assertAllclose(after[7]!, [1 - 4 * 0.05, -2 - 4 * 0.1], { rtol: 1e-14 }, 'step 8: φ = w₀ − 4·lr·g');
    assertAllclose(lookahead.slowWeightsOf(w)!.data, after[7]!, bitwise, 'slow weights equal the fast ones after a sync');
  });

  it('α = 0 returns the fast weights to the start every k steps', () => {
    const params = freshParams(3);
    const start = params.map((p) => p.data.slice());
    const lookahead = new Lookahead(new Adam(params, { lr: 0.1 }), { k: 3, alpha: 0 });
    runWithGrads(lookahead, params, gradientStream([[2, 3], [4]], 3, 11));
    params.forEach((p, i) => assertAllclose(p.data, start[i]!, bitwise, `param ${i}`));
  });

  it('exposes the inner param groups, so a schedule that sets lr steers the inner optimizer', () => {
    const params = freshParams(4);
    const inner = new SGD(params, { lr: 0.1 });
    const lookahead = new Lookahead(inner, { k: 2 });
    expect(lookahead.paramGroups).toBe(inner.paramGroups);
    lookahead.paramGroups[0]!.lr = 0;
    const before = params.map((p) => p.data.slice());
    runWithGrads(lookahead, params, gradientStream([[2, 3], [4]], 1, 5));
    params.forEach((p, i) => assertAllclose(p.data, before[i]!, bitwise, `lr 0: param ${i} unchanged`));
  });

  it('a group added later starts its slow weights at its values when it joins', () => {
    const [a, b] = freshParams(6);
    const lookahead = new Lookahead(new SGD([a!], { lr: 0.1 }), { k: 2, alpha: 0.5 });
    lookahead.step(); // no gradients yet: nothing moves, but one inner step is counted
    lookahead.addParamGroup({ params: [b!] });
    const joined = b!.data.slice();
    b!.grad = tensor([1, 1, 1, 1], [4]);
    lookahead.step(); // step 2: sync; b went joined − 0.1, slow = joined + ½(−0.1) = joined − 0.05
    assertAllclose(b!.data, Array.from(joined, (x) => Math.fround(x - 0.1 * 0.5)), { rtol: 1e-6, atol: 1e-7 }, 'synchronized from its own start');
  });

  it('state dict round trip (through JSON): the resumed copy continues bit for bit', () => {
    const grads = gradientStream([[2, 3], [4]], 10, 9);
    const paramsA = freshParams(8);
    const a = new Lookahead(new Adam(paramsA, { lr: 0.05 }), { k: 4, alpha: 0.6 });
    runWithGrads(a, paramsA, grads.slice(0, 6));

    const paramsB = freshParams(8);
    paramsB.forEach((p, i) => p.data.set(paramsA[i]!.data));
    const b = new Lookahead(new Adam(paramsB, { lr: 0.05 }));
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())) as LookaheadStateDict);
    expect(b.k).toBe(4);
    expect(b.alpha).toBe(0.6);
    expect(b.stateDict()).toEqual(a.stateDict());
    runWithGrads(a, paramsA, grads.slice(6));
    runWithGrads(b, paramsB, grads.slice(6));
    paramsB.forEach((p, i) => assertAllclose(p.data, paramsA[i]!.data, bitwise, `param ${i}`));
  });

  it('loadStateDict checks everything first; on error nothing changes, inner state included', () => {
    const params = freshParams(2);
    const lookahead = new Lookahead(new Adam(params, { lr: 0.05 }), { k: 3 });
    runWithGrads(lookahead, params, gradientStream([[2, 3], [4]], 2, 1));
    const before = lookahead.stateDict();
    const variant = (edit: (sd: LookaheadStateDict) => void): LookaheadStateDict => {
      const sd = JSON.parse(JSON.stringify(before)) as LookaheadStateDict;
      edit(sd);
      return sd;
    };
    expect(() => lookahead.loadStateDict(variant((sd) => (sd.slow_weights['1'] = { shape: [5], data: [0, 0, 0, 0, 0] })))).toThrow(/slow_weights\['1'\] has shape \[5\] but the parameter has shape \[4\]/);
    expect(() => lookahead.loadStateDict(variant((sd) => delete sd.slow_weights['0']))).toThrow(/lacks parameter 0/);
    expect(() => lookahead.loadStateDict(variant((sd) => (sd.k = 0)))).toThrow(/k value .*: 0/);
    expect(() => lookahead.loadStateDict(variant((sd) => (sd.step = -1)))).toThrow(/'step' must be a non-negative integer/);
    // The inner optimizer refuses its part: the wrapper's own fields stay as they were too.
    expect(() => lookahead.loadStateDict(variant((sd) => ((sd.base as { param_groups: unknown[] }).param_groups = [])))).toThrow(/Adam\.loadStateDict/);
    expect(lookahead.stateDict()).toEqual(before);
  });

  it('bad options throw, naming the option', () => {
    const inner = () => new SGD(freshParams(0), { lr: 0.1 });
    expect(() => new Lookahead(inner(), { k: 0 })).toThrow(/Lookahead: Invalid k value \(a positive integer\): 0/);
    expect(() => new Lookahead(inner(), { k: 2.5 })).toThrow(/k value .*2\.5/);
    expect(() => new Lookahead(inner(), { alpha: 1.5 })).toThrow(/alpha value \(in \[0, 1\]\): 1\.5/);
    expect(() => new Lookahead(inner(), { alpha: -0.1 })).toThrow(/alpha value/);
    expect(() => new Lookahead(inner(), { beta: 1 } as never)).toThrow(/unknown option 'beta'/);
    expect(() => new Lookahead({} as never)).toThrow(/must be the optimizer to wrap/);
  });
});

describe('SAM', () => {
  it('with ρ = 0 is its inner optimizer, bit for bit (SGD with momentum and Adam)', () => {
    for (const make of [(p: Tensor[]) => new SGD(p, { lr: 0.05, momentum: 0.9 }), (p: Tensor[]) => new Adam(p, { lr: 0.05 })]) {
      const plainParams = freshParams(12);
      const samParams = freshParams(12);
      const plain = make(plainParams);
      const sam = new SAM(make(samParams), { rho: 0 });
      const plainClosure = quarticClosure(plainParams, plain);
      const samClosure = quarticClosure(samParams, sam);
      for (let step = 0; step < 6; step++) {
        const l1 = plain.step(plainClosure) as Tensor;
        const l2 = sam.step(samClosure) as Tensor;
        expect(l2.item()).toBe(l1.item());
      }
      samParams.forEach((p, i) => assertAllclose(p.data, plainParams[i]!.data, bitwise, `param ${i}`));
    }
  });

  it('derivation: 1-D f(w) = ½ a w² under plain SGD', () => {
    // g = a·w, N = |a·w|, e = ρ·g/N = ρ·sign(w); the step uses ∇f(w + e) = a·(w + ρ·sign w):
    // w₁ = w₀ − lr·a·(w₀ + ρ). With a = 2, w₀ = 3, ρ = 0.5, lr = 0.1: w₁ = 3 − 0.2·3.5 = 2.3.
    const w = tensor([3], [1], { requiresGrad: true, dtype: 'float64' });
    const sam = new SAM(new SGD([w], { lr: 0.1 }), { rho: 0.5 });
    const loss = sam.step(() => {
      sam.zeroGrad();
      const l = w.square().sum().mul(0.5 * 2);
      l.backward();
      return l;
    }) as Tensor;
    expect(loss.item()).toBe(9); // f at w₀, not at the perturbed point (f(3.5) = 12.25)
    expect(w.data[0]).toBeCloseTo(2.3, 12);
  });

  it('adaptive (ASAM) derivation: e = ρ·w²·g / ‖|w|·g‖', () => {
    // Two coordinates, f = ½ Σ wᵢ², g = w = (1, 2): |w|·g = (1, 4), N = √17;
    // e = ρ·(1·1, 4·2)/√17 = ρ·(1, 8)/√17; the step uses ∇f(w + e) = w + e.
    const w = tensor([1, 2], [2], { requiresGrad: true, dtype: 'float64' });
    const rho = 0.3;
    const sam = new SAM(new SGD([w], { lr: 1 }), { rho, adaptive: true });
    sam.step(() => {
      sam.zeroGrad();
      const l = w.square().sum().mul(0.5);
      l.backward();
      return l;
    });
    const n = Math.sqrt(17);
    // w₁ = w − lr·(w + e) = −e
    assertAllclose(w.data, [-rho / n, (-rho * 8) / n], { rtol: 1e-12 }, 'w₁ = −e');
  });

  it('restores w exactly when the perturbed closure throws, and needs a closure', () => {
    const params = freshParams(13);
    const before = params.map((p) => p.data.slice());
    const sam = new SAM(new SGD(params, { lr: 0.1 }), { rho: 0.5 });
    const good = quarticClosure(params, sam);
    let calls = 0;
    expect(() =>
      sam.step(() => {
        calls++;
        if (calls === 2) throw new Error('data loader ran dry');
        return good();
      }),
    ).toThrow(/ran dry/);
    params.forEach((p, i) => assertAllclose(p.data, before[i]!, bitwise, `param ${i} restored`));
    expect(() => sam.step()).toThrow(/SAM: step\(\) needs a closure/);
  });

  it('a row-sparse gradient moves only its rows, by its summed values', () => {
    // Rows [1, 1] with 0.3 and 0.4: the dense gradient has row 1 = (0.7, 0.7), norm 0.7·√2.
    const table = tensor([1, 1, 2, 2, 3, 3], [3, 2], { requiresGrad: true, dtype: 'float64' });
    const seen: number[][] = [];
    // Adagrad takes row-sparse gradients (SGD does not); its first step moves by lr·g/(|g| + ε) ≈ lr·sign(g).
    const sam = new SAM(new Adagrad([table], { lr: 0.5 }), { rho: Math.SQRT2 });
    sam.step(() => {
      seen.push(Array.from(table.data));
      table.grad = sparseRows([1, 1], tensor([0.3, 0.3, 0.4, 0.4], [2, 2], { dtype: 'float64' }), [3, 2]);
      return 0;
    });
    // e = ρ·g/N = √2·(0.7, 0.7)/(0.7·√2) = (1, 1) on row 1 only.
    assertAllclose(seen[1]!, [1, 1, 3, 3, 3, 3], { rtol: 1e-12 }, 'the perturbed point');
    // Then Adagrad steps from w (not from the perturbed point), on row 1 only.
    assertAllclose(table.data, [1, 1, 1.5, 1.5, 3, 3], { rtol: 1e-9 }, 'after the step');
  });

  it('state dict round trip restores rho, adaptive and the inner state', () => {
    const paramsA = freshParams(14);
    const a = new SAM(new SGD(paramsA, { lr: 0.05, momentum: 0.9 }), { rho: 0.2, adaptive: true });
    const closureA = quarticClosure(paramsA, a);
    a.step(closureA);
    a.step(closureA);
    const paramsB = freshParams(14);
    paramsB.forEach((p, i) => p.data.set(paramsA[i]!.data));
    const b = new SAM(new SGD(paramsB, { lr: 0.05, momentum: 0.9 }));
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())) as SAMStateDict);
    expect(b.rho).toBe(0.2);
    expect(b.adaptive).toBe(true);
    a.step(closureA);
    b.step(quarticClosure(paramsB, b));
    paramsB.forEach((p, i) => assertAllclose(p.data, paramsA[i]!.data, bitwise, `param ${i}`));
    const before = b.stateDict();
    expect(() => b.loadStateDict({ ...before, rho: -1 })).toThrow(/SAM\.loadStateDict: .*rho value .*-1/);
    expect(b.stateDict()).toEqual(before);
  });

  it('bad options throw, naming the option', () => {
    const inner = () => new SGD(freshParams(0), { lr: 0.1 });
    expect(() => new SAM(inner(), { rho: -0.05 })).toThrow(/SAM: Invalid rho value \(a non-negative number\): -0\.05/);
    expect(() => new SAM(inner(), { rho: Number.NaN })).toThrow(/rho value/);
    expect(() => new SAM(inner(), { adaptive: 'yes' as never })).toThrow(/adaptive value \(true or false\): "yes"/);
    expect(() => new SAM(inner(), { radius: 1 } as never)).toThrow(/unknown option 'radius'/);
    expect(() => new SAM(null as never)).toThrow(/must be the optimizer to wrap/);
  });
});

describe('wrappers compose', () => {
  it('a scheduler drives the inner optimizer through either wrapper', () => {
    for (const wrap of [(o: SGD) => new Lookahead(o, { k: 3 }), (o: SGD) => new SAM(o)]) {
      const inner = new SGD(freshParams(30), { lr: 0.4 });
      const scheduler = new StepLR(wrap(inner), { stepSize: 1, gamma: 0.5 });
      scheduler.step();
      scheduler.step();
      expect(inner.paramGroups[0]!.lr).toBeCloseTo(0.1, 15);
    }
  });

  it('Lookahead over SAM over SGD runs, and over LBFGS passes the closure through', () => {
    const params = freshParams(21);
    const sam = new SAM(new SGD(params, { lr: 0.05 }), { rho: 0.05 });
    const lookahead = new Lookahead(sam, { k: 2 });
    expect(lookahead.paramGroups).toBe(sam.paramGroups);
    const closure = quarticClosure(params, lookahead);
    const first = (lookahead.step(closure) as Tensor).item();
    for (let i = 0; i < 5; i++) lookahead.step(closure);
    expect((closure() as Tensor).item()).toBeLessThan(first);

    const w = tensor([3, -1], [2], { requiresGrad: true, dtype: 'float64' });
    const lbfgs = new Lookahead(new LBFGS([w]), { k: 1, alpha: 1 });
    lbfgs.step(() => {
      lbfgs.zeroGrad();
      const l = w.sub(1).square().sum();
      l.backward();
      return l;
    });
    assertAllclose(w.data, [1, 1], { rtol: 0, atol: 1e-6 }, 'LBFGS inside Lookahead minimizes a quadratic');
  });
});

import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { sparseRows } from '../src/tensor/sparse.js';
import { LBFGS } from '../src/optim/lbfgs.js';
import type { OptimizerStateDict } from '../src/optim/optimizer.js';
import { cubicInterpolate } from '../src/optim/kernels/line_search.js';
import { assertAllclose, closeness } from './helpers/allclose.js';
import { GOLDEN_TOLERANCE, buildParams, camelOptions, goldenCase, quadraticClosure as goldenClosure, type GoldenSet, type GoldenTensor } from './helpers/golden.js';

type Stored = GoldenTensor;

/** L(w) = ½ Σ a·(w − b)², so ∇L = a·(w − b), through autograd. */
function quadraticClosure(params: Tensor[], a: Tensor[], b: Tensor[], optimizer: { zeroGrad(): void }): () => Tensor {
  return () => {
    optimizer.zeroGrad();
    let loss: Tensor | null = null;
    params.forEach((w, i) => {
      const term = w.sub(b[i]!).square().mul(a[i]!).sum();
      loss = loss === null ? term : loss.add(term);
    });
    const total = (loss as unknown as Tensor).mul(0.5);
    total.backward();
    return total;
  };
}

describe('LBFGS against PyTorch 2.14 (golden closure cases)', () => {
  const cases: Array<[string, GoldenSet]> = [['lbfgs/closure_quadratic', '2.14'], ['lbfgs/strong_wolfe', '2.14'], ['lbfgs/maximize', '2.14'], ['lbfgs/tolerances', 'extra']];
  for (const [name, set] of cases) {
    it(`${name}: params after each step, losses returned, evaluation counts and state layout`, () => {
      const c = goldenCase(name, set);
      const params = buildParams(c);
      const optimizer = new LBFGS(params, camelOptions(c.options));
      const closure = goldenClosure(c, params);
      let paramAbs = 0;
      let paramRel = 0;
      let lossAbs = 0;
      for (let step = 0; step < c.steps; step++) {
        const loss = optimizer.step(closure) as Tensor;
        lossAbs = Math.max(lossAbs, assertAllclose([loss.item()], [c.closure!.losses[step]!], GOLDEN_TOLERANCE, `${name} step ${step + 1} loss`).maxAbsError);
        params.forEach((p, i) => {
          const reached = assertAllclose(p.data, c.trajectory[step]![i]!, GOLDEN_TOLERANCE, `${name} step ${step + 1} param ${i}`);
          paramAbs = Math.max(paramAbs, reached.maxAbsError);
          paramRel = Math.max(paramRel, reached.maxRelError);
        });
      }
      console.log(`${name}: params max abs error ${paramAbs.toExponential(2)}, max rel error ${paramRel.toExponential(2)}; losses max abs error ${lossAbs.toExponential(2)} over ${c.steps} steps`);

      // The same number of closure evaluations and iterations as PyTorch: the same branches were
      // taken. The memory's values (ρ, α of pairs with yᵀs ~ 1e-7) are float32 noise in PyTorch's
      // run near the optimum; the README keeps LBFGS's layout for reference only, so the layout,
      // the counters and the step are checked exactly, H₀'s scale loosely.
      const ours = optimizer.stateDict();
      const theirs = c.state_dict as OptimizerStateDict;
      expect(ours.param_groups).toEqual(theirs.param_groups);
      const ourState = ours.state['0']!;
      const theirState = theirs.state['0']!;
      expect(Object.keys(ourState).sort()).toEqual(Object.keys(theirState).sort());
      expect(ourState.func_evals).toBe(theirState.func_evals);
      expect(ourState.n_iter).toBe(theirState.n_iter);
      expect(ourState.t).toBe(theirState.t);
      const pairs = (theirState.ro as unknown[]).length;
      expect((ourState.ro as unknown[]).length).toBe(pairs);
      expect((ourState.old_dirs as unknown[]).length).toBe(pairs);
      // PyTorch pads `al` to history_size with nulls; descent writes the entries written.
      expect((ourState.al as unknown[]).length).toBe((theirState.al as unknown[]).filter((x) => x !== null).length);
      expect((theirState.al as unknown[]).slice((ourState.al as unknown[]).length).every((x) => x === null)).toBe(true);
      // PyTorch's H₀ is the number 1 until a pair is kept (climbing the quadratic with maximize
      // keeps none: yᵀs < 0), a 0-d tensor after; descent writes a 0-d tensor throughout.
      const values = (x: unknown): number[] => (typeof x === 'number' ? [x] : (x as Stored).data);
      const hDiag = closeness(values(ourState.H_diag), values(theirState.H_diag), { rtol: 1e-2 });
      console.log(`${name}: H_diag rel error ${hDiag.maxRelError.toExponential(2)}`);
      expect(hDiag.ok).toBe(true);
      // One float32 ulp: 1e-7 relative (0.125 at the 1.1e6 that climbing reaches).
      assertAllclose([ourState.prev_loss as number], [theirState.prev_loss as number], { rtol: 1.2e-7, atol: 1e-8 }, 'prev_loss');
    });
  }

  it.each(['lbfgs/closure_quadratic', 'lbfgs/strong_wolfe', 'lbfgs/maximize'])("%s: PyTorch 2.14's state dict loads, and so does 1.13's", (name) => {
    for (const set of ['2.14', '1.13'] as const) {
      const c = goldenCase(name === 'lbfgs/maximize' && set === '1.13' ? 'lbfgs/strong_wolfe' : name, set);
      const params = c.trajectory[c.steps - 1]!.map((data, i) => tensor(data, c.params[i]!.shape, { requiresGrad: true }));
      const optimizer = new LBFGS(params, camelOptions(c.options));
      optimizer.loadStateDict(c.state_dict as OptimizerStateDict);
      expect(optimizer.stateDict().state['0']!.func_evals).toBe((c.state_dict as OptimizerStateDict).state['0']!.func_evals);
    }
  });

  it("loads PyTorch's own LBFGS state dict (al padded with nulls) and writes it back without the padding", () => {
    const c = goldenCase('lbfgs/strong_wolfe');
    const params = c.trajectory[c.steps - 1]!.map((data, i) => tensor(data, c.params[i]!.shape, { requiresGrad: true }));
    const optimizer = new LBFGS(params, camelOptions(c.options));
    const theirs = c.state_dict as OptimizerStateDict;
    optimizer.loadStateDict(theirs);
    const back = optimizer.stateDict();
    expect(back.state['0']!.func_evals).toBe(22);
    expect((back.state['0']!.al as unknown[]).length).toBe((theirs.state['0']!.al as unknown[]).filter((x) => x !== null).length);
    expect((back.state['0']!.al as unknown[]).length).toBeLessThan(100);
    expect((back.state['0']!.old_stps as unknown[]).length).toBe(17);
    assertAllclose((back.state['0']!.d as Stored).data, (theirs.state['0']!.d as Stored).data, { rtol: 1e-6, atol: 0 }, 'd round trip');
    // Near the optimum of the same quadratic the next step stops within a few evaluations.
    optimizer.step(goldenClosure(c, params));
    expect(optimizer.stateDict().state['0']!.func_evals).toBeLessThanOrEqual(25);
  });
});

describe('LBFGS maths', () => {
  it('first iteration: d = −g, t = min(1, 1/‖g‖₁)·lr, x₁ = x₀ + t·d', () => {
    // f(w) = ½ Σ a (w − b)² at w₀ = (2, −1), a = (1, 3), b = (0, 0): g = (2, −3), ‖g‖₁ = 5.
    // With lr 0.5: t = min(1, 1/5)·0.5 = 0.1, so w₁ = (2, −1) − 0.1·(2, −3) = (1.8, −0.7).
    const w = tensor([2, -1], [2], { requiresGrad: true });
    const optimizer = new LBFGS([w], { lr: 0.5, maxIter: 1 });
    const loss = optimizer.step(quadraticClosure([w], [tensor([1, 3])], [tensor([0, 0])], optimizer)) as Tensor;
    expect(loss.item()).toBeCloseTo(0.5 * (4 + 3), 6);
    assertAllclose(w.data, [1.8, -0.7], { rtol: 1e-6 }, 'w₁');
    const state = optimizer.stateDict().state['0']!;
    // maxIter 1: the last iteration skips the re-evaluation, so one evaluation in all.
    expect(state.func_evals).toBe(1);
    expect(state.n_iter).toBe(1);
    assertAllclose((state.d as Stored).data, [-2, 3], { rtol: 0, atol: 0 }, 'd = −g');
    expect(state.t).toBeCloseTo(0.1, 12);
  });

  it('on a quadratic, the second iteration uses the secant pair: with one pair in 1-D it is Newton', () => {
    // 1-D f(w) = ½·4·(w − 1)², w₀ = 3: g₀ = 8, t = 1/8, w₁ = 3 − 1 = 2, g₁ = 4.
    // y = 4 − 8 = −4, s = −1, yᵀs = 4, H₀ = yᵀs/yᵀy = 1/4 = 1/f'': d = −H g₁ = −1, w₂ = 1 exactly.
    // (maxEval is raised: its default ⌊2·5/4⌋ = 2 would stop after the first iteration's re-evaluation.)
    const w = tensor([3], [1], { requiresGrad: true, dtype: 'float64' });
    const optimizer = new LBFGS([w], { maxIter: 2, maxEval: 10 });
    optimizer.step(quadraticClosure([w], [tensor([4], [1], { dtype: 'float64' })], [tensor([1], [1], { dtype: 'float64' })], optimizer));
    expect(w.data[0]).toBe(1);
    const state = optimizer.stateDict().state['0']!;
    expect((state.H_diag as Stored).data[0]).toBe(0.25);
    expect((state.ro as Stored[]).map((r) => r.data[0])).toEqual([0.25]);
  });

  it('returns at once, touching nothing but func_evals, when ‖g‖∞ ≤ toleranceGrad', () => {
    const w = tensor([1, 2], [2], { requiresGrad: true });
    const optimizer = new LBFGS([w], { toleranceGrad: 1e-3 });
    const closure = quadraticClosure([w], [tensor([1, 1])], [tensor([1, 2.0005])], optimizer);
    optimizer.step(closure);
    assertAllclose(w.data, [1, 2], { rtol: 0, atol: 0 }, 'unchanged');
    expect(optimizer.stateDict().state['0']).toEqual({ func_evals: 1, n_iter: 0 });
  });

  it('cubic interpolation finds the minimizer of a cubic from two points and slopes', () => {
    // φ(t) = t³ − 3t: φ' = 3t² − 3, local minimizer t = 1.
    const phi = (t: number) => t ** 3 - 3 * t;
    const dphi = (t: number) => 3 * t * t - 3;
    expect(cubicInterpolate(0, phi(0), dphi(0), 2, phi(2), dphi(2))).toBeCloseTo(1, 12);
    expect(cubicInterpolate(2, phi(2), dphi(2), 0, phi(0), dphi(0))).toBeCloseTo(1, 12);
    // Bounds clamp the minimizer; no real minimizer falls back to the bounds' midpoint.
    expect(cubicInterpolate(0, phi(0), dphi(0), 2, phi(2), dphi(2), [1.5, 3])).toBe(1.5);
    // φ = (0, 2/3) and φ' = (1, 1) at t = (0, 1): d₁ = 1 + 1 − 3·(0 − 2/3)/(0 − 1) = 0, d₁² − φ'₁φ'₂ = −1 < 0.
    expect(cubicInterpolate(0, 0, 1, 1, 2 / 3, 1, [2, 4])).toBe(3);
  });

  it('minimizes Rosenbrock from (−1.5, 2) in a few steps with strong_wolfe', () => {
    // f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
    const xy = tensor([-1.5, 2], [2], { requiresGrad: true, dtype: 'float64' });
    const optimizer = new LBFGS([xy], { lineSearchFn: 'strong_wolfe' });
    const closure = (): Tensor => {
      optimizer.zeroGrad();
      const x = xy.index(0);
      const y = xy.index(1);
      const loss = x.neg().add(1).square().add(y.sub(x.square()).square().mul(100));
      loss.backward();
      return loss;
    };
    const losses: number[] = [];
    for (let step = 0; step < 4; step++) losses.push((optimizer.step(closure) as Tensor).item());
    console.log(`Rosenbrock with strong_wolfe: loss at the start of each step ${losses.map((l) => l.toExponential(2)).join(', ')}; end at (${xy.data[0]}, ${xy.data[1]})`);
    // f(−1.5, 2) = 2.5² + 100·(2 − 2.25)² = 6.25 + 6.25.
    expect(losses[0]).toBeCloseTo(12.5, 10);
    // It stops on |Δf| < toleranceChange = 1e-9, so f ends below ~1e-9 and (x, y) within ~1e-5 of (1, 1).
    expect(losses[3]).toBeLessThan(1e-9);
    assertAllclose(xy.data, [1, 1], { rtol: 0, atol: 1e-4 }, 'Rosenbrock minimizer');
  });

  it('a row-sparse gradient counts as its dense sum (repeated rows add up)', () => {
    // The closure writes the gradient by hand: rows [1, 1] of a 3 × 2 table as sparse, the
    // dense equivalent for the twin. Both runs must match exactly.
    const run = (sparse: boolean): Float32Array => {
      const w = tensor([1, 2, 3, 4, 5, 6], [3, 2], { requiresGrad: true });
      const optimizer = new LBFGS([w], { maxIter: 3 });
      const closure = (): number => {
        // f = ½‖w₁ − (1, 1)‖² on row 1 only, split as two halves of the gradient on row 1.
        const r0 = w.data[2]! - 1;
        const r1 = w.data[3]! - 1;
        const half = tensor([r0 / 2, r1 / 2, r0 / 2, r1 / 2], [2, 2]);
        w.grad = sparse ? sparseRows([1, 1], half, [3, 2]) : tensor([0, 0, r0, r1, 0, 0], [3, 2]);
        return 0.5 * (r0 * r0 + r1 * r1);
      };
      optimizer.step(closure);
      return w.data as Float32Array;
    };
    assertAllclose(run(true), run(false), { rtol: 0, atol: 0 }, 'sparse vs dense');
  });
});

describe('LBFGS state dict', () => {
  function problem(): { params: Tensor[]; a: Tensor[]; b: Tensor[] } {
    return {
      params: [tensor([0.5, -1, 2, 0.25], [2, 2], { requiresGrad: true }), tensor([3, -2], [2], { requiresGrad: true })],
      a: [tensor([1, 2, 0.5, 3], [2, 2]), tensor([1.5, 0.7])],
      b: [tensor([1, 1, -1, 0], [2, 2]), tensor([0.5, 0.5])],
    };
  }

  it('resuming from a saved state dict (through JSON) continues exactly as the original', () => {
    const original = problem();
    const optA = new LBFGS(original.params, { maxIter: 3, historySize: 2, lineSearchFn: 'strong_wolfe' });
    const closureA = quadraticClosure(original.params, original.a, original.b, optA);
    optA.step(closureA);
    optA.step(closureA);

    const copy = problem();
    copy.params.forEach((p, i) => p.data.set(original.params[i]!.data));
    const optB = new LBFGS(copy.params, { maxIter: 3, historySize: 2, lineSearchFn: 'strong_wolfe' });
    optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())) as OptimizerStateDict);
    expect(optB.stateDict()).toEqual(optA.stateDict());

    optA.step(closureA);
    optB.step(quadraticClosure(copy.params, copy.a, copy.b, optB));
    copy.params.forEach((p, i) => assertAllclose(p.data, original.params[i]!.data, { rtol: 0, atol: 0 }, `param ${i} after resuming`));
  });

  it('a closure that throws mid-step leaves params and state as they were before the step', () => {
    for (const lineSearchFn of [null, 'strong_wolfe'] as const) {
      const { params, a, b } = problem();
      const optimizer = new LBFGS(params, { maxIter: 4, historySize: 2, lineSearchFn });
      const closure = quadraticClosure(params, a, b, optimizer);
      optimizer.step(closure);
      optimizer.step(closure);
      const before = optimizer.stateDict();
      const paramsBefore = params.map((p) => p.data.slice());
      let calls = 0;
      expect(() =>
        optimizer.step(() => {
          if (++calls === 3) throw new Error('the closure failed');
          return closure();
        }),
      ).toThrow(/the closure failed/);
      params.forEach((p, i) => assertAllclose(p.data, paramsBefore[i]!, { rtol: 0, atol: 0 }, `${lineSearchFn}: param ${i}`));
      expect(optimizer.stateDict()).toEqual(before);
    }
  });

  it('rejects a state dict whose flat vectors do not fit the parameters, changing nothing', () => {
    const { params, a, b } = problem();
    const optimizer = new LBFGS(params, { maxIter: 2 });
    optimizer.step(quadraticClosure(params, a, b, optimizer));
    const before = optimizer.stateDict();
    const bad = JSON.parse(JSON.stringify(before)) as OptimizerStateDict;
    (bad.state['0']!.d as Stored).shape = [5];
    (bad.state['0']!.d as Stored).data = [1, 2, 3, 4, 5];
    expect(() => optimizer.loadStateDict(bad)).toThrow(/state\['0'\]\.d must have shape \[6\]/);
    const unpaired = JSON.parse(JSON.stringify(before)) as OptimizerStateDict;
    (unpaired.state['0']!.ro as unknown[]).push({ shape: [], data: [1] });
    expect(() => optimizer.loadStateDict(unpaired)).toThrow(/old_dirs, old_stps and ro together/);
    const wrongGroup = JSON.parse(JSON.stringify(before)) as OptimizerStateDict;
    wrongGroup.param_groups[0]!.max_iter = 0;
    expect(() => optimizer.loadStateDict(wrongGroup)).toThrow(/maxIter/);
    expect(optimizer.stateDict()).toEqual(before);
  });
});

describe('LBFGS options and misuse', () => {
  const w = () => tensor([1, 2], [2], { requiresGrad: true });

  it('defaults are PyTorch 2.14 defaults, maxEval = ⌊maxIter·5/4⌋', () => {
    expect(new LBFGS([w()]).defaults).toEqual({ lr: 1, maxIter: 20, maxEval: 25, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null, maximize: false });
    expect(new LBFGS([w()], { maxIter: 5 }).defaults.maxEval).toBe(6);
    expect(new LBFGS([w()], { maxIter: 10, maxEval: 3 }).defaults.maxEval).toBe(3);
  });

  it('bad options throw, naming the option and value', () => {
    expect(() => new LBFGS([w()], { lr: -1 })).toThrow(/LBFGS: Invalid learning rate: -1/);
    expect(() => new LBFGS([w()], { maxIter: 0 })).toThrow(/maxIter value .*: 0/);
    expect(() => new LBFGS([w()], { maxEval: 2.5 })).toThrow(/maxEval value .*: 2.5/);
    expect(() => new LBFGS([w()], { historySize: 0 })).toThrow(/historySize value .*: 0/);
    expect(() => new LBFGS([w()], { toleranceGrad: -1 })).toThrow(/toleranceGrad value: -1/);
    expect(() => new LBFGS([w()], { toleranceChange: Number.NaN })).toThrow(/toleranceChange value: NaN/);
    expect(() => new LBFGS([w()], { lineSearchFn: 'backtracking' as never })).toThrow(/lineSearchFn value .*"backtracking"/);
    expect(() => new LBFGS([w()], { momentum: 0.9 } as never)).toThrow(/unknown option 'momentum'/);
  });

  it('refuses param groups beyond one, and mixed dtypes', () => {
    expect(() => new LBFGS([{ params: [w()] }, { params: [w()], lr: 0.1 }])).toThrow(/doesn't support per-parameter options/);
    const optimizer = new LBFGS([w()]);
    expect(() => optimizer.addParamGroup({ params: [w()] })).toThrow(/parameter groups/);
    expect(() => new LBFGS([w(), tensor([1], [1], { requiresGrad: true, dtype: 'float64' })])).toThrow(/same dtype, got float32 and float64/);
  });

  it('step() without a closure, or with one that returns no loss, is an error', () => {
    const p = w();
    const optimizer = new LBFGS([p]);
    expect(() => optimizer.step()).toThrow(/step\(\) needs a closure/);
    expect(() => optimizer.step((() => undefined) as never)).toThrow(/closure must return the loss/);
    expect(() => optimizer.step(() => tensor([1, 2]))).toThrow(/scalar loss, got a tensor of shape \[2\]/);
  });
});

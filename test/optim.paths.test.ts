/**
 * The fused path equals the plain one, through the public API (STYLE §8: PyTorch's test_optim
 * checks its foreach and fused paths against the per-parameter loop the same way).
 *
 * For every optimizer of the registry with a fused WebAssembly kernel, fast-check draws a model
 * (1 to 40 tensors of 1 to 13 values per dimension, so most sizes are not multiples of the
 * kernels' 4 or 8 lanes, sometimes split into two param groups with different learning rates),
 * hyperparameters from the registry's slider ranges, and 3 to 5 steps of gradients in which some
 * parameters get none (row-sparse ones for Adagrad and SparseAdam, with repeated rows). The
 * same optimizer then runs the same steps under the 'js' and the 'wasm' kernel backends; after
 * every step the params must agree, and at the end the state dicts: same layout, same counters,
 * close tensors. A parameter without a gradient must not move on either path.
 *
 * Tolerance: rtol 1e-4, atol 1e-5, the golden suite's. The JS kernels compute each update in
 * doubles and round once, the WebAssembly ones round after every float32 operation (as PyTorch
 * does), so the two drift apart by about 1e-7 relative per step.
 */
import { afterAll, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../src/tensor/tensor.js';
import { SparseRows } from '../src/tensor/sparse.js';
import { Generator } from '../src/tensor/random.js';
import { withKernelBackend, type KernelBackend } from '../src/wasm/backend.js';
import type { Optimizer, OptimizerStateDict } from '../src/optim/optimizer.js';
import { KernelOptimizer } from '../src/optim/runner.js';
import { Adagrad, Adam, LAMB, NAdam, RMSprop, SGD } from '../src/optim/index.js';
import { optimizerSpecs, type KernelOptimizerSpec, type OptionSpec, type OptimizerSpec } from '../src/optim/registry.js';
import { assertAllclose } from './helpers/allclose.js';
import { compareStateDict } from './helpers/golden.js';

const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };
const RUNS = 30;

/** The optimizers with a fused path: those built on KernelOptimizer (not LBFGS, Lookahead, SAM). */
const fusedSpecs = optimizerSpecs.filter((spec) => {
  const probe = new Tensor(new Float32Array(1), [1, 1], { requiresGrad: true });
  return spec.create([probe], {}) instanceof KernelOptimizer;
});

// ---------------------------------------------------------------------------------------------
// What fast-check draws

/**
 * A value in the option's slider range, on its scale (a log range starts above 0), on a grid of
 * a thousand steps as a slider has: the ends are drawn often, subnormal numbers never.
 */
function optionValue(option: OptionSpec): fc.Arbitrary<unknown> {
  const [lo, hi] = option.range ?? [0, 1];
  // lr short of its top end 1: LAMB with lr 1 sets a one-value parameter to exactly 0 in
  // doubles but to ±1e-17 in float32, or the other way round, and its trust ratio jumps from
  // ‖θ‖/‖u‖ → 0 to 1 at ‖θ‖ = 0.
  const unit = fc.integer({ min: 0, max: option.name === 'lr' ? 999 : 1000 }).map((k) => k / 1000);
  const onScale = option.scale === 'log' ? unit.map((u) => lo * (hi / lo) ** u) : unit.map((u) => lo + u * (hi - lo));
  const inRange = option.integer === true ? onScale.map(Math.round) : onScale;
  switch (option.type) {
    case 'boolean':
      return fc.boolean();
    case 'betas':
      // From 0.05 up: the WebAssembly kernels keep running means as m + (1 − β)(g − m), whose
      // rounding error relative to the new mean grows like 2⁻²⁴/β as β → 0 (at β = 0 the mean is
      // g only to within an ulp of the old m); the TypeScript kernels' β·m + (1 − β)·g has no
      // such term. Above 0.05 that error stays below 1.2e-6.
      return fc.tuple(inRange, inRange).filter(([b1, b2]) => (b1 as number) >= 0.05 && (b2 as number) >= 0.05);
    case 'nullableNumber':
      return fc.option(inRange, { nil: null });
    case 'choice':
      return fc.constantFrom(...(option.choices ?? []));
    case 'tuple':
      // A tuple without a slider range (Muon's Newton–Schulz coefficients) keeps its default.
      if (option.range === undefined) return fc.constant(option.default);
      return fc.tuple(...Array.from({ length: option.length ?? 0 }, (_, i) => ((option.nullableAt ?? []).includes(i) ? fc.option(inRange, { nil: null }) : inRange)));
    default:
      return inRange;
  }
}

function optionsOf(spec: OptimizerSpec): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(spec.options.map((o) => [o.name, optionValue(o)]))).map((o) => {
    // The one constraint between options the ranges do not encode: Nesterov needs momentum and no dampening.
    if (o.nesterov === true && !((o.momentum as number) > 0 && o.dampening === 0)) o.nesterov = false;
    return o;
  }).filter((o) => spec.constraint?.({ ...spec.defaults, ...o } as never) == null);
}

interface Case {
  shapes: number[][];
  /** Index of the first parameter of a second group, with its own lr; null for one group. */
  split: { at: number; lr: number } | null;
  options: Record<string, unknown>;
  steps: number;
  /** Per step, per parameter: whether it gets a gradient, and whether that one is row-sparse. */
  plan: Array<Array<'none' | 'dense' | 'sparse'>>;
  seed: number;
}

const shape = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 13 })),
  fc.tuple(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 })),
).map((s) => [...s]);

function caseOf(spec: OptimizerSpec): fc.Arbitrary<Case> {
  const sparseOnly = spec.gradients === 'sparse';
  const mayBeSparse = spec.gradients === 'dense-or-sparse';
  return fc
    .record({
      shapes: fc.oneof(fc.array(shape, { minLength: 1, maxLength: 6 }), fc.array(shape, { minLength: 20, maxLength: 40 })),
      twoGroups: fc.boolean(),
      splitAt: fc.nat(),
      secondLr: optionValue(spec.options.find((o) => o.name === 'lr')!),
      options: optionsOf(spec),
      steps: fc.integer({ min: 3, max: 5 }),
      sparse: fc.boolean(),
      draws: fc.array(fc.nat(99), { minLength: 5 * 40, maxLength: 5 * 40 }),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .map((r) => {
      // An optimizer of matrices (Muon) gets each vector as a one-row matrix.
      const shapes = r.shapes.map((s) => (spec.acceptsParam?.(s) ? [1, s[0]!] : s));
      const n = shapes.length;
      const useSparse = sparseOnly || (mayBeSparse && r.sparse);
      // Adagrad refuses weight decay with sparse gradients (PyTorch does too).
      const options = useSparse && mayBeSparse ? { ...r.options, weightDecay: 0 } : r.options;
      const plan = Array.from({ length: r.steps }, (_, t) =>
        shapes.map((_, k): 'none' | 'dense' | 'sparse' => {
          const d = r.draws[t * 40 + k]!;
          if (d < 25) return 'none';
          if (sparseOnly) return 'sparse';
          return useSparse && d % 2 === 0 ? 'sparse' : 'dense';
        }),
      );
      // At least one step leaves a parameter without a gradient.
      plan[1]![r.draws[0]! % n] = 'none';
      const split = r.twoGroups && n > 1 ? { at: 1 + (r.splitAt % (n - 1)), lr: r.secondLr as number } : null;
      return { shapes, split, options, steps: r.steps, plan, seed: r.seed };
    });
}

// ---------------------------------------------------------------------------------------------
// One run of a case on one backend

function values(n: number, gen: Generator, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * gen.normal());
}

/** The case's gradient for parameter k at step t: the same on both backends (seeded per step and parameter). */
function gradient(c: Case, t: number, k: number, p: Tensor): Tensor | SparseRows | null {
  const kind = c.plan[t]![k]!;
  if (kind === 'none') return null;
  const gen = new Generator(c.seed + 7919 * (t + 1) + k);
  if (kind === 'dense') return new Tensor(values(p.data.length, gen), [...p.shape]);
  const rows = p.shape[0]!;
  // Rows with repeats (which add up), not sorted.
  const indices = Array.from({ length: 1 + gen.integer(0, rows + 2) }, () => gen.integer(0, rows));
  const width = p.data.length / rows;
  return new SparseRows(indices, new Tensor(values(indices.length * width, gen), [indices.length, ...p.shape.slice(1)]), p.shape);
}

interface Trace {
  /** Per step, per parameter: its values after the step. */
  params: Float32Array[][];
  stateDict: OptimizerStateDict;
  /** Where the state tensors live: in their parameter's storage (an arena), in arrays of their own, or there are none. */
  storage: 'arena' | 'own' | 'no tensors';
}

function run(spec: OptimizerSpec, c: Case, backend: KernelBackend): Trace {
  return withKernelBackend(backend, () => {
    const gen = new Generator(c.seed);
    const params = c.shapes.map((s) => new Tensor(values(s.reduce((a, b) => a * b, 1), gen), s, { requiresGrad: true }));
    const input = c.split === null ? params : [{ params: params.slice(0, c.split.at) }, { params: params.slice(c.split.at), lr: c.split.lr }];
    const optimizer = spec.create(input as never, c.options) as Optimizer<object>;
    const trace: Float32Array[][] = [];
    for (let t = 0; t < c.steps; t++) {
      params.forEach((p, k) => (p.grad = gradient(c, t, k, p)));
      const before = params.map((p) => Float32Array.from(p.data));
      optimizer.step();
      params.forEach((p, k) => {
        if (p.grad === null) expect(p.data, `${backend}: step ${t + 1}, parameter ${k} has no gradient and must not move`).toEqual(before[k]);
      });
      trace.push(params.map((p) => Float32Array.from(p.data)));
    }
    // Parameter-shaped entries live in the arena on the fused path; the others (Adafactor's
    // factors, copied into the arena's workspace for each call) in arrays of their own.
    const table = (spec as KernelOptimizerSpec).state;
    const shared = [...optimizer.state].flatMap(([p, s]) => Object.entries(s).filter(([key, v]) => v instanceof Tensor && table[key]?.kind === 'param').map(([, v]) => (v as Tensor).data.buffer === p.data.buffer));
    const storage = shared.length === 0 ? 'no tensors' : shared.every(Boolean) ? 'arena' : 'own';
    return { params: trace, stateDict: JSON.parse(JSON.stringify(optimizer.stateDict())) as OptimizerStateDict, storage };
  });
}

// ---------------------------------------------------------------------------------------------

const worst = new Map<string, { abs: number; used: number }>();

/** The largest share of the tolerance any value used: |a − e| / (atol + rtol·|e|). */
function toleranceUsed(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let used = 0;
  for (let i = 0; i < expected.length; i++) used = Math.max(used, Math.abs(actual[i]! - expected[i]!) / (TOLERANCE.atol + TOLERANCE.rtol * Math.abs(expected[i]!)));
  return used;
}

describe('the fused WebAssembly path equals the plain one, through the optimizer classes', () => {
  test('every kernel-backed optimizer is covered', () => {
    expect(fusedSpecs.map((s) => s.id).sort()).toEqual(['adadelta', 'adafactor', 'adagrad', 'adam', 'adamax', 'adamw', 'asgd', 'lamb', 'lars', 'muon', 'nadam', 'radam', 'rmsprop', 'rprop', 'sgd', 'sparseadam']);
  });

  test.each(fusedSpecs.map((s) => [s.displayName, s] as const))('%s: params after every step, and the state dict', (_name, spec) => {
    const reached = { abs: 0, used: 0 };
    fc.assert(
      fc.property(caseOf(spec), (c) => {
        const js = run(spec, c, 'js');
        const wasm = run(spec, c, 'wasm');
        expect(js.storage).not.toBe('arena');
        expect(wasm.storage).not.toBe('own');
        js.params.forEach((step, t) =>
          step.forEach((expected, k) => {
            const actual = wasm.params[t]![k]!;
            const r = assertAllclose(actual, expected, TOLERANCE, `${spec.id} step ${t + 1} param ${k}`);
            reached.abs = Math.max(reached.abs, r.maxAbsError);
            reached.used = Math.max(reached.used, toleranceUsed(actual, expected));
          }),
        );
        const states = compareStateDict(wasm.stateDict, js.stateDict, TOLERANCE);
        expect(states.mismatches).toEqual([]);
        reached.abs = Math.max(reached.abs, states.maxAbsError);
      }),
      { numRuns: RUNS, seed: 4242 },
    );
    worst.set(spec.id, reached);
  });

  afterAll(() => {
    const lines = [...worst].map(([id, e]) => `  ${id.padEnd(11)} max abs ${e.abs.toExponential(2)}, params at most ${(100 * e.used).toFixed(1)}% of the tolerance`);
    console.log(`wasm vs js through the classes (${RUNS} random cases each; params every step, final state dict):\n${lines.join('\n')}`);
  });
});

// ---------------------------------------------------------------------------------------------
// What the fused path must keep from the plain one beyond the maths

/**
 * Runs `scenario` (which builds an optimizer and steps it, changing things between steps) once
 * with every step on the plain path and once on `backends`, step by step; returns both final
 * param lists and state dicts for comparison.
 */
function replay(scenario: (step: (optimizer: Optimizer<object>, t: number) => void) => { params: Tensor[]; optimizer: Optimizer<object> }, backends: (t: number) => KernelBackend) {
  const runWith = (backendAt: (t: number) => KernelBackend) => {
    const live = scenario((optimizer, t) => withKernelBackend(backendAt(t), () => optimizer.step()));
    return { params: live.params.map((p) => Float32Array.from(p.data)), stateDict: JSON.parse(JSON.stringify(live.optimizer.stateDict())) as OptimizerStateDict, live };
  };
  const plain = runWith(() => 'js');
  const mixed = runWith(backends);
  mixed.params.forEach((p, i) => assertAllclose(p, plain.params[i]!, TOLERANCE, `param ${i}`));
  expect(compareStateDict(mixed.stateDict, plain.stateDict, TOLERANCE).mismatches).toEqual([]);
  return mixed.live;
}

function tensors(seed: number, shapes: number[][]): Tensor[] {
  const gen = new Generator(seed);
  return shapes.map((s) => new Tensor(values(s.reduce((a, b) => a * b, 1), gen), s, { requiresGrad: true }));
}

function setGrads(params: Tensor[], seed: number): void {
  const gen = new Generator(seed);
  for (const p of params) p.grad = new Tensor(values(p.data.length, gen), [...p.shape]);
}

const sharesStorage = (a: Tensor, b: Tensor): boolean => a.data.buffer === b.data.buffer;

describe('the fused path keeps the optimizer contract', () => {
  test('switching backends between steps continues the same run', () => {
    replay((step) => {
      const params = tensors(1, [[3, 5], [7], [2, 2]]);
      const optimizer = new Adam(params, { lr: 0.05, amsgrad: true });
      for (let t = 0; t < 8; t++) {
        setGrads(params, 10 + t);
        step(optimizer, t);
      }
      return { params, optimizer };
    }, (t) => (t % 3 === 2 ? 'js' : 'wasm'));
  });

  test('steps on the plain path in between, where a param misses one, leave the fused runs split by step count', () => {
    replay((step) => {
      const params = tensors(11, [[3], [4], [2]]);
      const optimizer = new Adam(params, { lr: 0.05 });
      for (let t = 0; t < 6; t++) {
        setGrads(params, 90 + t);
        if (t === 2) params[1]!.grad = null;
        step(optimizer, t);
      }
      return { params, optimizer };
    }, (t) => (t === 2 ? 'js' : 'wasm'));
  });

  test('an option turned on mid-run (AMSGrad, RMSprop momentum and centering) moves the group to a new arena, state and all', () => {
    const live = replay((step) => {
      const params = tensors(2, [[4, 3], [9]]);
      const adam = new Adam(params, { lr: 0.02 });
      const rmsprop = new RMSprop(tensors(3, [[5]]), { lr: 0.01 });
      for (let t = 0; t < 6; t++) {
        if (t === 3) {
          adam.paramGroups[0]!.amsgrad = true;
          rmsprop.paramGroups[0]!.momentum = 0.9;
          rmsprop.paramGroups[0]!.centered = true;
        }
        setGrads(params, 20 + t);
        setGrads(rmsprop.paramGroups[0]!.params, 30 + t);
        step(adam, t);
        step(rmsprop, t);
      }
      return { params: [...params, ...rmsprop.paramGroups[0]!.params], optimizer: adam };
    }, () => 'wasm');
    const [p] = live.params;
    const state = live.optimizer.state.get(p!) as Record<string, Tensor>;
    for (const key of ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']) expect(sharesStorage(state[key]!, p!), key).toBe(true);
  });

  test('a float64 group takes the plain kernels, its float32 neighbour the fused ones; a group added later gets its own arena', () => {
    const live = replay((step) => {
      const single = tensors(4, [[6], [2, 3]]);
      const double = new Tensor(Float64Array.from([0.5, -1, 2]), [3], { requiresGrad: true });
      const optimizer = new SGD([{ params: single }, { params: [double], lr: 0.05 }], { lr: 0.1, momentum: 0.9 });
      const late = tensors(5, [[4]]);
      for (let t = 0; t < 5; t++) {
        if (t === 2) optimizer.addParamGroup({ params: late, lr: 0.2 });
        setGrads(single, 40 + t);
        double.grad = new Tensor(Float64Array.from([0.1 * t, -0.2, 0.3]), [3]);
        if (t >= 2) setGrads(late, 50 + t);
        step(optimizer, t);
      }
      return { params: [...single, double, ...late], optimizer };
    }, () => 'wasm');
    const [a, b, double, late] = live.params;
    const buffer = (p: Tensor) => (live.optimizer.state.get(p) as { momentum_buffer: Tensor }).momentum_buffer;
    expect(sharesStorage(a!, b!) && sharesStorage(buffer(a!), a!)).toBe(true);
    expect(double!.dtype).toBe('float64');
    expect(sharesStorage(buffer(double!), double!)).toBe(false);
    // Every arena is a block of one WebAssembly heap: the late group's block lies outside the first one's.
    const firstBlock = [a!, b!, buffer(a!), buffer(b!)].map((t) => [t.data.byteOffset, t.data.byteOffset + t.data.byteLength]);
    const [lo, hi] = [Math.min(...firstBlock.map(([s]) => s!)), Math.max(...firstBlock.map(([, e]) => e!))];
    expect(sharesStorage(buffer(late!), late!)).toBe(true);
    expect(late!.data.byteOffset >= hi || late!.data.byteOffset + late!.data.byteLength <= lo).toBe(true);
  });

  test('a param whose data the user replaced, and a state tensor put in an entry’s place, are read back in', () => {
    replay((step) => {
      const params = tensors(6, [[5], [3, 2]]);
      const optimizer = new Adam(params, { lr: 0.01 });
      for (let t = 0; t < 5; t++) {
        if (t === 2) params[0]!.data = Float32Array.from([1, 2, 3, 4, 5]);
        if (t === 3) {
          const state = optimizer.state.get(params[1]!)!;
          state.exp_avg = new Tensor(new Float32Array(6).fill(0.25), [3, 2]);
          optimizer.state.set(params[1]!, state);
        }
        setGrads(params, 60 + t);
        step(optimizer, t);
      }
      return { params, optimizer };
    }, () => 'wasm');
  });

  test('a state dict loaded mid-run, into an optimizer whose state is already in an arena, takes over', () => {
    replay((step) => {
      const params = tensors(8, [[3, 3], [5]]);
      const optimizer = new NAdam(params, { lr: 0.01 });
      let saved: OptimizerStateDict | null = null;
      for (let t = 0; t < 7; t++) {
        if (t === 3) saved = JSON.parse(JSON.stringify(optimizer.stateDict())) as OptimizerStateDict;
        if (t === 5) optimizer.loadStateDict(saved!);
        setGrads(params, 80 + t);
        step(optimizer, t);
      }
      return { params, optimizer };
    }, () => 'wasm');
  });

  // A fused group's bookkeeping is redone only when a setter reports a change (wasm/runner.ts):
  // each change below, made between steps whose gradients otherwise stay where backward left
  // them, must reach the next step as it reaches the plain path, which looks at everything.
  test('between steady steps, every change reaches the next step: gradients gone and back, requiresGrad toggled, a param replaced, a group added, storage swapped, gradients assigned and edited in place', () => {
    replay((step) => {
      const params = tensors(9, [[4], [2, 3], [5], [3]]);
      const extra = tensors(10, [[6]]);
      const inputs = new Map([...params, ...extra].map((p, k) => [p, tensors(20 + k, [p.shape])[0]!.detach()]));
      const optimizer = new Adam(params.slice(0, 3), { lr: 0.05 });
      const group = optimizer.paramGroups[0]!;
      // L = Σ (p·x + ½p²) over the params optimized now: ∇ = x + p, different at every step.
      const backward = (): void => {
        optimizer.zeroGrad();
        const live = optimizer.paramGroups.flatMap((g) => g.params);
        live.map((p) => p.mul(inputs.get(p)!).sum().add(p.square().sum().mul(0.5))).reduce((a, b) => a.add(b)).backward();
      };
      const changes: Array<() => void> = [
        backward,
        () => {}, // the same gradients again: a steady step
        () => ((params[1]!.requiresGrad = false), backward()), // its gradient is gone
        () => {},
        () => ((params[1]!.requiresGrad = true), backward()), // back, a step behind the others
        () => ((group.params[2] = params[3]!), backward()), // params[2] leaves, params[3] comes in
        () => (optimizer.addParamGroup({ params: extra, lr: 0.1 }), backward()),
        () => (params[0]!.data = Float32Array.from([1, -2, 3, -4])),
        () => ((params[0]!.grad as Tensor).data = Float32Array.from([0.5, 0.5, -0.5, 0.25])),
        () => (params[1]!.grad = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])),
        () => ((params[1]!.grad as Tensor).data[0]! += 10), // edited in place: PyTorch's step sees it
        () => (params[0]!.grad = null),
        () => {},
      ];
      changes.forEach((change, t) => {
        change();
        step(optimizer, t);
      });
      return { params: [...params, ...extra], optimizer };
    }, () => 'wasm');
  });

  test('a steady step checks no gradient; one seen for the first time, or moved into the arena, is checked once', () => {
    const params = tensors(12, [[3], [4]]);
    const optimizer = new Adam(params, { lr: 0.01 });
    const checks = vi.spyOn(optimizer as unknown as { checkParamGradient: () => void }, 'checkParamGradient');
    // The pass over every param, which a steady step must skip (no timing in tests: its calls are counted).
    const passes = vi.spyOn((optimizer as unknown as { fused: { checkAll: () => void } }).fused, 'checkAll');
    const backward = (): void => {
      optimizer.zeroGrad();
      params.map((p) => p.square().sum()).reduce((a, b) => a.add(b)).backward();
    };
    withKernelBackend('wasm', () => {
      backward();
      optimizer.step(); // made before the arena was: checked, and copied in
      expect(checks).toHaveBeenCalledTimes(2);
      backward();
      optimizer.step(); // written by backward into the arena's slots: checked once there
      expect(checks).toHaveBeenCalledTimes(4);
      expect(passes).toHaveBeenCalledTimes(2);
      optimizer.step();
      optimizer.step();
      expect(passes).toHaveBeenCalledTimes(2);
      backward(); // fresh gradient tensors, in the slots again: nothing new to check
      optimizer.step();
      expect(checks).toHaveBeenCalledTimes(4);
      expect(passes).toHaveBeenCalledTimes(3);
      params[1]!.grad = new Tensor(new Float32Array(4).fill(1), [4]);
      optimizer.step();
      expect(checks).toHaveBeenCalledTimes(5);
    });
  });

  test('a row-sparse gradient kept from step to step is checked at every step, against the options of that step', () => {
    const p = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2], { requiresGrad: true });
    const optimizer = new Adagrad([p], { lr: 0.1 });
    p.grad = new SparseRows([1, 3], new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]), [4, 2]);
    withKernelBackend('wasm', () => {
      optimizer.step();
      optimizer.step();
      optimizer.paramGroups[0]!.weightDecay = 0.1;
      const before = Float32Array.from(p.data);
      expect(() => optimizer.step()).toThrow(/weightDecay \(0\.1\) is not compatible with sparse gradients/);
      expect(p.data).toEqual(before);
    });
  });

  test('a step leaves the gradients as they were: stepping twice on one gradient is two steps (LAMB, whose kernel writes a direction)', () => {
    replay((step) => {
      const params = tensors(7, [[4, 4], [3]]);
      const optimizer = new LAMB(params, { lr: 0.01, weightDecay: 0.01 });
      setGrads(params, 70);
      step(optimizer, 0);
      step(optimizer, 1);
      return { params, optimizer };
    }, () => 'wasm');
  });
});

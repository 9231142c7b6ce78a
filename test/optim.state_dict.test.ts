/**
 * State dicts across PyTorch versions, and the ones that must be refused.
 *
 * descent writes PyTorch 2.14's layout (test/optim.golden.test.ts compares it with 2.14's own)
 * and reads 2.x's and 1.13's: every 1.13 state dict of the old golden data loads, then writes
 * 2.14's layout with the same numbers. A loaded state dict is checked completely before anything
 * changes; each refusal below names the field, and the optimizer then steps exactly like an
 * untouched twin. A step is all-or-nothing too: a bad gradient in any group stops it before any
 * group moves, on both kernel paths.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { Generator } from '../src/tensor/random.js';
import { setKernelBackend } from '../src/wasm/backend.js';
import { Adam, AdamW, LBFGS, Lookahead, NAdam, RAdam, SAM, SGD, Adamax, type Optimizer, type OptimizerStateDict } from '../src/optim/index.js';
import { optimizerSpecs } from '../src/optim/registry.js';
import { snakeCase } from '../src/optim/options.js';
import { buildParams, camelOptions, gradientFromGolden, loadGoldenOptimizers, paramsInput, type GoldenCase } from './helpers/golden.js';

type AnyOptimizer = Optimizer<object>;

function randomTensor(shape: number[], gen: Generator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => gen.normal()), shape, { requiresGrad: true });
}

function params(seed: number): Tensor[] {
  const gen = new Generator(seed);
  return [randomTensor([3, 4], gen), randomTensor([5], gen)];
}

function copies(ps: Tensor[]): Tensor[] {
  return ps.map((p) => new Tensor(Float32Array.from(p.data), [...p.shape], { requiresGrad: true }));
}

function step(optimizer: AnyOptimizer, ps: Tensor[], seed: number): void {
  const gen = new Generator(seed);
  for (const p of ps) p.grad = new Tensor(Float32Array.from({ length: p.data.length }, () => gen.normal()), [...p.shape]);
  optimizer.step();
}

function json<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** An optimizer after two steps, and a twin in the same state that nothing will touch. */
function pair(make: (ps: Tensor[]) => AnyOptimizer): { optimizer: AnyOptimizer; ps: Tensor[]; twin: AnyOptimizer; twinPs: Tensor[] } {
  const ps = params(1);
  const twinPs = copies(ps);
  const optimizer = make(ps);
  const twin = make(twinPs);
  for (const s of [2, 3]) {
    step(optimizer, ps, s);
    step(twin, twinPs, s);
  }
  return { optimizer, ps, twin, twinPs };
}

/** The refusal changed nothing: the next step is the twin's, bit for bit. */
function expectUntouched(p: ReturnType<typeof pair>): void {
  expect(p.optimizer.stateDict()).toEqual(p.twin.stateDict());
  step(p.optimizer, p.ps, 4);
  step(p.twin, p.twinPs, 4);
  p.ps.forEach((x, i) => expect(Array.from(x.data)).toEqual(Array.from(p.twinPs[i]!.data)));
}

describe.each(['js', 'wasm'] as const)('%s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  describe('PyTorch 1.13 state dicts load, and are written back in 2.14’s layout', () => {
    const specs = new Map(optimizerSpecs.map((s) => [s.displayName, s] as const));
    const old = loadGoldenOptimizers('1.13').cases.filter((c) => c.state_dict !== undefined && specs.has(c.optimizer) && !specs.get(c.optimizer)!.needsClosure);

    test.each(old.map((c) => [c.name, c] as const))('%s', (_name, c: GoldenCase) => {
      const spec = specs.get(c.optimizer)!;
      const ps = buildParams(c);
      const optimizer = spec.create(paramsInput(c, ps) as never, camelOptions(c.options)) as unknown as AnyOptimizer;
      optimizer.loadStateDict(json(c.state_dict as OptimizerStateDict));
      const written = optimizer.stateDict();
      const theirs = c.state_dict as OptimizerStateDict;
      // The options are 1.13's; the group carries 2.14's implementation keys and new options at their defaults.
      written.param_groups.forEach((g, i) => {
        for (const key of Object.keys(spec.torchGroupKeys ?? {})) expect(Object.hasOwn(g, key)).toBe(true);
        for (const row of spec.options) expect(g[snakeCase(row.name)], row.name).toEqual(theirs.param_groups[i]![snakeCase(row.name)] ?? row.default);
      });
      // Every number is kept; counters 1.13 wrote as plain numbers are 0-d tensors now, and
      // SGD's `momentum_buffer: None` without momentum is no state at all (as in 2.x).
      const number = (v: unknown) => (typeof v === 'number' ? [v] : (v as { data: number[] }).data);
      for (const [key, entry] of Object.entries(theirs.state)) {
        const kept = Object.entries(entry).filter(([, v]) => v !== null);
        if (kept.length === 0) expect(written.state[key]).toBeUndefined();
        for (const [name, value] of kept) expect(number(written.state[key]![name]), `${key}.${name}`).toEqual(number(value));
      }
      // And it steps on.
      ps.forEach((p, i) => (p.grad = gradientFromGolden(c.grads?.[0]?.[i] ?? null, p)));
      if (c.grads !== undefined) optimizer.step();
    });

    test('a 1.13 NAdam state dict lacks maximize and decoupled_weight_decay: they take their defaults', () => {
      const c = loadGoldenOptimizers('1.13').cases.find((x) => x.name === 'nadam/default')!;
      const sd = c.state_dict as OptimizerStateDict;
      expect(Object.hasOwn(sd.param_groups[0]!, 'maximize')).toBe(false);
      const optimizer = new NAdam(buildParams(c), { maximize: true });
      optimizer.loadStateDict(json(sd));
      expect(optimizer.paramGroups[0]!.maximize).toBe(false);
      expect(optimizer.paramGroups[0]!.decoupledWeightDecay).toBe(false);
    });
  });

  describe('PyTorch’s implementation keys are accepted with their meaning', () => {
    test.each([
      ['foreach', true],
      ['foreach', false],
      ['fused', true],
      ['capturable', true],
      ['differentiable', false],
    ])('%s: %s loads and changes no number', (key, value) => {
      const p = pair((ps) => new Adam(ps, { lr: 0.01 }));
      const sd = json(p.optimizer.stateDict());
      (sd.param_groups[0] as Record<string, unknown>)[key] = value;
      p.optimizer.loadStateDict(sd);
      // Written back with 2.14's value for the class: the key means nothing here.
      expect(p.optimizer.stateDict().param_groups[0]![key]).toEqual(p.twin.stateDict().param_groups[0]![key]);
      expectUntouched(p);
    });

    test.each([
      ['differentiable', true, /param_groups\[0\]\.differentiable is true, which descent does not support/],
      ['foreach', 'yes', /param_groups\[0\]\.foreach must be null, true or false/],
      ['capturable', null, /param_groups\[0\]\.capturable must be true or false/],
    ])('%s: %j is refused, changing nothing', (key, value, error) => {
      const p = pair((ps) => new Adam(ps, { lr: 0.01 }));
      const sd = json(p.optimizer.stateDict());
      (sd.param_groups[0] as Record<string, unknown>)[key] = value;
      expect(() => p.optimizer.loadStateDict(sd)).toThrow(error);
      expectUntouched(p);
    });
  });

  test('the keys PyTorch’s schedulers write into groups (initial_lr, max_lr, ...) load and are kept', () => {
    const p = pair((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }));
    const sd = json(p.optimizer.stateDict());
    Object.assign(sd.param_groups[0]!, { initial_lr: 0.1, max_lr: 0.4, min_lr: 1e-5, max_momentum: 0.95, base_momentum: 0.85 });
    p.optimizer.loadStateDict(sd);
    expect(p.optimizer.paramGroups[0]!).toMatchObject({ initialLr: 0.1, maxLr: 0.4, minLr: 1e-5, maxMomentum: 0.95, baseMomentum: 0.85 });
    expect(p.optimizer.stateDict().param_groups[0]).toMatchObject({ initial_lr: 0.1, max_lr: 0.4 });
    const bad = json(sd);
    (bad.param_groups[0] as Record<string, unknown>).initial_lr = 'high';
    expect(() => p.optimizer.loadStateDict(bad)).toThrow(/param_groups\[0\]\.initial_lr must be a finite number \(a scheduler's\), got "high"/);
  });

  describe('bad state dicts are refused, naming the field, and change nothing', () => {
    const cases: Array<[string, (ps: Tensor[]) => AnyOptimizer, (sd: OptimizerStateDict) => void, RegExp]> = [
      ['an unknown group key', (ps) => new Adam(ps), (sd) => void ((sd.param_groups[0] as Record<string, unknown>).frobnicate = 1), /param_groups\[0\] is not a Adam param group \(unexpected 'frobnicate'\)/],
      ['an Object.prototype name as a group key', (ps) => new Adam(ps), (sd) => void Object.defineProperty(sd.param_groups[0], 'toString', { value: 1, enumerable: true }), /unexpected 'toString'/],
      ['a key beside state and param_groups', (ps) => new Adam(ps), (sd) => void ((sd as unknown as Record<string, unknown>).version = 2), /unexpected 'version'/],
      ['a missing option', (ps) => new Adam(ps), (sd) => void delete (sd.param_groups[0] as Record<string, unknown>).eps, /missing 'eps'/],
      ['a 2.x state dict without an option 2.x added', (ps) => new NAdam(ps), (sd) => void delete (sd.param_groups[0] as Record<string, unknown>).maximize, /missing 'maximize'/],
      ['Adam’s state dict in AdamW', (ps) => new AdamW(ps), (sd) => void ((sd.param_groups[0] as Record<string, unknown>).decoupled_weight_decay = false), /decoupled_weight_decay is false, a AdamW's is always true/],
      ['NaN in a first moment', (ps) => new Adam(ps), (sd) => void ((sd.state['0']!.exp_avg as { data: number[] }).data[2] = NaN), /state\['0'\].*'exp_avg' holds NaN at element 2/],
      ['∞ in a second moment', (ps) => new Adam(ps), (sd) => void ((sd.state['1']!.exp_avg_sq as { data: number[] }).data[0] = Infinity), /'exp_avg_sq' holds Infinity at element 0/],
      ['a negative second moment', (ps) => new Adam(ps), (sd) => void ((sd.state['0']!.exp_avg_sq as { data: number[] }).data[5] = -1e-3), /'exp_avg_sq' holds -0\.001 at element 5, but it is a sum of squares/],
      ['a NaN step', (ps) => new Adam(ps), (sd) => void ((sd.state['0']!.step as { data: number[] }).data[0] = NaN), /'step' is NaN/],
      ['an index spelt "01"', (ps) => new Adam(ps), (sd) => void ((sd.state['01'] = sd.state['1']!), delete sd.state['1']), /state key '01' is not a parameter index/],
      ['an index spelt "0x1" beside "1"', (ps) => new Adam(ps), (sd) => void (sd.state['0x1'] = sd.state['1']!), /state key '0x1' is not a parameter index/],
      ['an index that is no number', (ps) => new Adam(ps), (sd) => void (sd.state.first = sd.state['0']!), /state key 'first' is not a parameter index/],
      ['an index listed twice', (ps) => new Adam(ps), (sd) => void (sd.param_groups[0]!.params = [0, 0]), /parameter index 0 appears twice/],
      ['an index written as a string', (ps) => new Adam(ps), (sd) => void ((sd.param_groups[0] as Record<string, unknown>).params = ['0', '1']), /params must be an array of non-negative integer indices/],
      ['a parameter count that does not match', (ps) => new Adam(ps), (sd) => void sd.param_groups[0]!.params.push(2), /has 3 parameter\(s\), this optimizer's group 0 has 2/],
      ['a moment of another shape', (ps) => new Adam(ps), (sd) => void ((sd.state['0']!.exp_avg as { shape: number[] }).shape = [4, 3]), /'exp_avg' has shape \[4, 3\] but the parameter has shape \[3, 4\]/],
      ['a 10⁵-deep nested option value', (ps) => new Adam(ps), (sd) => {
        let deep: unknown = 0.1;
        for (let i = 0; i < 100_000; i++) deep = [deep];
        (sd.param_groups[0] as Record<string, unknown>).lr = deep;
      }, /Adam\.loadStateDict: values are nested more than 16 levels deep, which no state dict is/],
      ['a getter that throws', (ps) => new Adam(ps), (sd) => {
        Object.defineProperty(sd.param_groups[0], 'lr', { get: () => { throw new TypeError('boom'); }, enumerable: true });
      }, /^Adam\.loadStateDict: the state dict could not be read \(boom\)/],
      ['another optimizer’s state dict with no state yet', (ps) => new RAdam(ps), (sd) => {
        const adamax = new Adamax(params(9)).stateDict();
        sd.param_groups = adamax.param_groups;
        sd.state = {};
      }, /is not a RAdam param group \(missing 'decoupled_weight_decay'\)/],
    ];

    test.each(cases)('%s', (_label, make, corrupt, error) => {
      const p = pair(make);
      const sd = json(p.optimizer.stateDict());
      corrupt(sd);
      expect(() => p.optimizer.loadStateDict(sd)).toThrow(error);
      expectUntouched(p);
    });
  });

  describe('a step is all-or-nothing', () => {
    test('a wrong-length gradient in group 1 stops the step before group 0 moves', () => {
      const ps = params(5);
      const before = ps.map((p) => Array.from(p.data));
      const optimizer = new Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.1 }], { lr: 0.01 });
      step(optimizer, ps, 6);
      const afterOne = ps.map((p) => Array.from(p.data));
      expect(afterOne[0]).not.toEqual(before[0]);
      const state = json(optimizer.stateDict());
      ps[0]!.grad = new Tensor(new Float32Array(12).fill(1), [3, 4]);
      ps[1]!.grad = new Tensor(new Float32Array(5).fill(1), [5]);
      ps[1]!.grad.data = new Float32Array(7);
      expect(() => optimizer.step()).toThrow(/Adam: a gradient holds 7 values for a parameter of 5/);
      ps.forEach((p, i) => expect(Array.from(p.data)).toEqual(afterOne[i]));
      expect(optimizer.stateDict()).toEqual(state);
    });
  });
});

describe('only own keys are options', () => {
  const names = ['toString', 'valueOf', 'constructor', 'hasOwnProperty', '__proto__'];

  test.each(optimizerSpecs.map((s) => [s.id, s] as const))('%s refuses Object.prototype names, in the options and in a group', (_id, spec) => {
    for (const name of names) {
      const options = JSON.parse(`{"${name}": 1}`) as Record<string, unknown>;
      expect(() => spec.create(params(1) as never, options), name).toThrow(new RegExp(`unknown option '${name}'`));
      expect(() => spec.create([{ params: params(1), ...options }] as never), name).toThrow(new RegExp(`unknown option '${name}'`));
    }
  });

  test('the wrappers refuse them too', () => {
    for (const name of names) {
      const options = JSON.parse(`{"${name}": 1}`) as Record<string, unknown>;
      expect(() => new Lookahead(new SGD(params(1)), options)).toThrow(/unknown option/);
      expect(() => new SAM(new SGD(params(1)), options)).toThrow(/unknown option/);
    }
  });
});

test('Lookahead refuses slow weights under a second spelling of an index, and NaN ones, changing nothing', () => {
  const ps = params(1);
  const lookahead = new Lookahead(new SGD(ps, { lr: 0.1 }), { k: 2 });
  step(lookahead as unknown as AnyOptimizer, ps, 2);
  const before = json(lookahead.stateDict());
  const twice = json(before);
  twice.slow_weights['01'] = twice.slow_weights['1']!;
  expect(() => lookahead.loadStateDict(twice)).toThrow(/'slow_weights' has entries for no parameter: '01'/);
  const nan = json(before);
  nan.slow_weights['0']!.data[1] = NaN;
  expect(() => lookahead.loadStateDict(nan)).toThrow(/slow_weights\['0'\] must hold 12 finite numbers/);
  expect(lookahead.stateDict()).toEqual(before);
});

describe('LBFGS', () => {
  const closure = (ps: Tensor[], optimizer: LBFGS) => () => {
    optimizer.zeroGrad();
    const loss = ps.map((p) => p.square().sum()).reduce((a, b) => a.add(b));
    loss.backward();
    return loss;
  };

  test('a state dict whose params are listed in another order is refused: its history would be lost', () => {
    const ps = params(1);
    const optimizer = new LBFGS(ps, { maxIter: 3 });
    optimizer.step(closure(ps, optimizer));
    const sd = json(optimizer.stateDict());
    sd.param_groups[0]!.params = [1, 0];
    const before = json(optimizer.stateDict());
    expect(() => optimizer.loadStateDict(sd)).toThrow(/LBFGS\.loadStateDict: state '0' is not the first parameter's \(index 1\)/);
    expect(optimizer.stateDict()).toEqual(before);
  });

  test('historySize is bounded, and the state dict holds what was written, not historySize entries', () => {
    expect(() => new LBFGS(params(1), { historySize: 1e7 })).toThrow(/Invalid historySize value \(an integer in \[1, 10000\]\): 10000000/);
    const ps = params(1);
    const optimizer = new LBFGS(ps, { historySize: 10_000, maxIter: 4 });
    optimizer.step(closure(ps, optimizer));
    const state = optimizer.stateDict().state['0']!;
    expect((state.al as unknown[]).length).toBeLessThanOrEqual(4);
    expect(JSON.stringify(optimizer.stateDict()).length).toBeLessThan(20_000);
  });
});

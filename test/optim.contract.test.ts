/**
 * The optimizer contract (PyTorch's), checked for every optimizer the registry lists, with the
 * configurations the registry gives: losses fall, `maximize` climbs, a parameter without a
 * gradient is left alone, state dicts survive JSON and resume bit for bit (by name when the model
 * is reordered), bad options and bad state dicts are refused without changing anything, and live
 * edits of `group.lr` take effect. All of it holds on both kernel backends: the plain TypeScript
 * kernels and the fused WebAssembly ones (whose state lives in an arena).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend } from '../src/wasm/backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { SparseRows } from '../src/tensor/sparse.js';
import { Generator } from '../src/tensor/random.js';
import { optimizerSpecs, getOptimizerSpec, createOptimizer, type OptimizerSpec } from '../src/optim/registry.js';
import { Adam, SGD, Adagrad, SparseAdam, type Optimizer, type OptimizerStateDict } from '../src/optim/index.js';

type AnyOptimizer = Optimizer<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------
// Problems and gradients

function randomTensor(shape: number[], gen: Generator, scale = 1, requiresGrad = true): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = scale * gen.normal();
  return new Tensor(data, shape, { requiresGrad });
}

/**
 * The shape a problem gives a parameter of `spec`: a vector becomes a one-row matrix for an
 * optimizer of matrices only (Muon), the same values either way.
 */
function shaped(spec: OptimizerSpec | undefined, shape: number[]): number[] {
  return spec?.acceptsParam?.(shape) ? [1, shape.reduce((a, b) => a * b, 1)] : shape;
}

/** L(w) = ½ Σ a (w − b)² over two tensors, curvatures a ∈ [0.5, 2] (condition number ≤ 4). */
function quadratic(seed = 1, spec?: OptimizerSpec) {
  const gen = new Generator(seed);
  const shapes = [[3, 4], [5]].map((s) => shaped(spec, s));
  const params = shapes.map((s) => randomTensor(s, gen, 2));
  const a = shapes.map((s) => {
    const t = randomTensor(s, gen, 1, false);
    t.data.forEach((_, i) => (t.data[i] = 0.5 + 1.5 * gen.uniform()));
    return t;
  });
  const b = shapes.map((s) => randomTensor(s, gen, 1, false));
  const loss = () => params.map((w, i) => w.sub(b[i]!).square().mul(a[i]!).sum()).reduce((x, y) => x.add(y)).mul(0.5);
  return { params, loss };
}

/** Rosenbrock's f(x, y) = (1 − x)² + 100 (y − x²)² from (−1.2, 1), its gradient installed by hand. */
function rosenbrock(spec?: OptimizerSpec) {
  const w = new Tensor(Float32Array.from([-1.2, 1]), shaped(spec, [2]), { requiresGrad: true });
  const value = () => {
    const [x, y] = [w.data[0]!, w.data[1]!];
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
  };
  const installGrad = () => {
    const [x, y] = [w.data[0]!, w.data[1]!];
    w.grad = new Tensor(Float32Array.from([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]), [...w.shape]);
  };
  return { w, value, installGrad };
}

/** SparseAdam takes row-sparse gradients only: the same gradient with every row named. */
function adaptGradients(spec: OptimizerSpec, params: Tensor[]): void {
  if (spec.gradients !== 'sparse') return;
  for (const p of params) {
    if (p.grad instanceof Tensor) {
      const rows = Array.from({ length: p.shape[0]! }, (_, i) => i);
      p.grad = new SparseRows(rows, p.grad, p.shape);
    }
  }
}

/** A reproducible gradient for `p` at `step` (dense, or row-sparse with a repeated row). */
function syntheticGradient(spec: OptimizerSpec, p: Tensor, gen: Generator): Tensor | SparseRows {
  if (spec.gradients === 'sparse') {
    const rows = [gen.integer(0, p.shape[0]!), gen.integer(0, p.shape[0]!), 0];
    return new SparseRows(rows, randomTensor([rows.length, ...p.shape.slice(1)], gen, 1, false), p.shape);
  }
  return randomTensor(p.shape, gen, 1, false);
}

function modelParams(seed: number, spec?: OptimizerSpec): Array<[string, Tensor]> {
  const gen = new Generator(seed);
  return [
    ['layer.weight', randomTensor([4, 3], gen)],
    ['layer.bias', randomTensor(shaped(spec, [4]), gen)],
    ['head.weight', randomTensor([2, 4], gen)],
  ];
}

/** Copies, shaped for `spec` (see `shaped`). */
function cloneParams(named: Array<[string, Tensor]>, spec?: OptimizerSpec): Array<[string, Tensor]> {
  return named.map(([n, t]) => [n, new Tensor(Float32Array.from(t.data), shaped(spec, [...t.shape]), { requiresGrad: true })]);
}

/**
 * One step on reproducible gradients. First-order optimizers get random gradients installed;
 * those that need a closure (LBFGS) minimize ½‖w − c‖² towards a random target c drawn for the
 * step, so the several evaluations of one step agree. `frozen` gets no gradient.
 */
function stepWithGradients(spec: OptimizerSpec, optimizer: AnyOptimizer, params: Tensor[], gen: Generator, frozen: Tensor | null = null): void {
  if (!spec.needsClosure) {
    for (const p of params) p.grad = p === frozen ? null : syntheticGradient(spec, p, gen);
    optimizer.step();
    return;
  }
  const targets = params.map((p) => randomTensor(p.shape, gen, 1, false));
  optimizer.step(() => {
    let loss = 0;
    params.forEach((p, i) => {
      if (p === frozen) return void (p.grad = null);
      const g = new Float32Array(p.data.length);
      p.data.forEach((w, j) => {
        g[j] = w - targets[i]!.data[j]!;
        loss += 0.5 * g[j]! * g[j]!;
      });
      p.grad = new Tensor(g, [...p.shape]);
    });
    return loss;
  });
}

function snapshot(optimizer: AnyOptimizer): string {
  return JSON.stringify({ sd: optimizer.stateDict(), groups: optimizer.paramGroups.map(({ params, ...rest }) => ({ ...rest, params: params.map((p) => Array.from(p.data)) })) });
}

/** A spec's quadratic options, plus whatever makes `maximize` meaningful. */
function optionsOf(spec: OptimizerSpec, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...spec.testConfigs.quadratic.options, ...extra };
}

const hasOption = (spec: OptimizerSpec, name: string) => spec.options.some((o) => o.name === name);

// ---------------------------------------------------------------------------------------------

describe.each(['js', 'wasm'] as const)('%s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  describe.each(optimizerSpecs.map((s) => [s.displayName, s] as const))('%s', (_name, spec) => {
    test('the loss of a quadratic falls to a tenth', () => {
      const { params, loss } = quadratic(1, spec);
      const optimizer = spec.create(params, spec.testConfigs.quadratic.options);
      const start = loss().item();
      for (let t = 0; t < spec.testConfigs.quadratic.steps; t++) {
        optimizer.step(() => {
          optimizer.zeroGrad();
          const l = loss();
          l.backward();
          adaptGradients(spec, params);
          return l;
        });
      }
      const end = loss().item();
      expect(end, `${spec.id}: ${start} → ${end}`).toBeLessThan(0.1 * start);
    });

    test('Rosenbrock falls below the configured fraction of its start within the configured steps', () => {
      const { w, value, installGrad } = rosenbrock(spec);
      const { options, steps, below } = spec.testConfigs.rosenbrock;
      const optimizer = spec.create([w], options);
      const start = value();
      // The lowest value reached, not the last: an optimizer whose steps do not shrink near the
      // minimum (LAMB's are about lr·‖θ‖ long) ends up circling it, and where on that orbit the
      // last step lands is a draw that a float32 rounding (the WebAssembly kernels') changes.
      let lowest = start;
      for (let t = 0; t < steps; t++) {
        if (spec.needsClosure) {
          optimizer.step(() => {
            installGrad();
            return value();
          });
        } else {
          installGrad();
          adaptGradients(spec, [w]);
          optimizer.step();
        }
        lowest = Math.min(lowest, value());
      }
      expect(Number.isFinite(value())).toBe(true);
      expect(lowest, `${spec.id}: ${start} → lowest ${lowest}, last ${value()}`).toBeLessThan(below * start);
    });

    test.runIf(hasOption(spec, 'maximize'))('maximize climbs the same quadratic', () => {
      const { params, loss } = quadratic(1, spec);
      const optimizer = spec.create(params, optionsOf(spec, { maximize: true }));
      const start = loss().item();
      let previous = start;
      for (let t = 0; t < 20; t++) {
        const closure = () => {
          optimizer.zeroGrad();
          const l = loss();
          l.backward();
          adaptGradients(spec, params);
          previous = l.item();
          return l;
        };
        // LBFGS evaluates the loss itself; the others take the gradients of one evaluation.
        if (spec.needsClosure) optimizer.step(closure);
        else {
          closure();
          optimizer.step();
        }
      }
      expect(loss().item()).toBeGreaterThan(start);
      expect(loss().item()).toBeGreaterThanOrEqual(previous);
    });

    test('a parameter without a gradient is untouched and gets no state', () => {
      const named = modelParams(3, spec);
      const params = named.map(([, t]) => t);
      const frozen = params[1]!;
      const before = Float32Array.from(frozen.data);
      const optimizer = spec.create(params, optionsOf(spec));
      const gen = new Generator(5);
      for (let t = 0; t < 3; t++) stepWithGradients(spec, optimizer, params, gen, frozen);
      expect(Array.from(frozen.data)).toEqual(Array.from(before));
      expect(optimizer.state.has(frozen)).toBe(false);
      const indices = Object.keys(optimizer.stateDict().state).sort();
      expect(indices).not.toContain('1');
      // Per-parameter state: one entry for each parameter that had gradients. Flat (LBFGS): one in all.
      expect(indices).toEqual(spec.stateKind === 'flat' ? ['0'] : ['0', '2']);
    });

    test('stateDict → JSON → loadStateDict into a fresh optimizer resumes bit for bit', () => {
      const named = modelParams(7, spec);
      const params = named.map(([, t]) => t);
      const original = spec.create(params, optionsOf(spec));
      const gen = new Generator(11);
      for (let t = 0; t < 4; t++) stepWithGradients(spec, original, params, gen);

      const saved = JSON.parse(JSON.stringify(original.stateDict())) as OptimizerStateDict;
      const copies = cloneParams(named).map(([, t]) => t);
      const resumed = spec.create(copies, {});
      resumed.loadStateDict(saved);
      expect(resumed.stateDict()).toEqual(original.stateDict());

      // Both take the same next gradients; the random stream is replayed for the copy.
      const genA = new Generator(13);
      const genB = new Generator(13);
      for (let t = 0; t < 4; t++) {
        stepWithGradients(spec, original, params, genA);
        stepWithGradients(spec, resumed, copies, genB);
      }
      params.forEach((p, i) => expect(copies[i]!.data).toEqual(p.data));
      expect(resumed.stateDict()).toEqual(original.stateDict());
    });

    // A flat state (LBFGS's) is one vector in parameter order: it cannot follow a reordering.
    test.runIf(spec.stateKind === 'per-parameter')('a state dict of named parameters restores into a reordered model by name', () => {
      const named = modelParams(17, spec);
      const original = spec.create(named, optionsOf(spec));
      const gen = new Generator(19);
      for (let t = 0; t < 3; t++) stepWithGradients(spec, original, named.map(([, p]) => p), gen);
      const saved = JSON.parse(JSON.stringify(original.stateDict())) as OptimizerStateDict;
      expect(saved.param_groups[0]!.param_names).toEqual(['layer.weight', 'layer.bias', 'head.weight']);

      const reordered = cloneParams(named).reverse();
      const resumed = spec.create(reordered, optionsOf(spec));
      resumed.loadStateDict(saved);
      const byName = new Map(reordered);
      for (const [name, p] of named) {
        const theirs = original.state.get(p);
        const ours = resumed.state.get(byName.get(name)!);
        expect(JSON.stringify(ours && Object.keys(ours)), name).toEqual(JSON.stringify(theirs && Object.keys(theirs)));
      }
      // One more step with the same gradient per name gives the same values per name.
      const genA = new Generator(23);
      const grads = new Map(named.map(([n, p]) => [n, syntheticGradient(spec, p, genA)] as const));
      for (const [n, p] of named) p.grad = grads.get(n)!;
      for (const [n, p] of reordered) p.grad = grads.get(n)!;
      original.step();
      resumed.step();
      for (const [name, p] of named) expect(byName.get(name)!.data, name).toEqual(p.data);
    });

    test.each(spec.testConfigs.invalid.map((c) => [JSON.stringify(c.options), c] as const))('refuses %s', (_label, { options, error }) => {
      const { params } = quadratic(1, spec);
      expect(() => spec.create(params, options)).toThrow(error);
      // The same option in a param group is refused too.
      if (Object.keys(options).length > 0) {
        expect(() => spec.create([{ params, ...options }], {})).toThrow(error);
      }
    });

    test('loadStateDict refuses another optimizer’s state dict and wrong shapes, changing nothing', () => {
      const named = modelParams(29, spec);
      const params = named.map(([, t]) => t);
      const optimizer = spec.create(params, optionsOf(spec));
      const gen = new Generator(31);
      for (let t = 0; t < 2; t++) stepWithGradients(spec, optimizer, params, gen);
      const before = snapshot(optimizer);

      for (const other of optimizerSpecs) {
        // PyTorch 2.x's AdamW is Adam with decoupled_weight_decay true, and its state dict says
        // so: Adam takes it as the same computation (the identities suite checks that).
        if (other === spec || (spec.id === 'adam' && other.id === 'adamw')) continue;
        const otherParams = cloneParams(named, other).map(([, t]) => t);
        const foreign = other.create(otherParams, other.testConfigs.quadratic.options);
        stepWithGradients(other, foreign, otherParams, new Generator(37));
        expect(() => optimizer.loadStateDict(JSON.parse(JSON.stringify(foreign.stateDict()))), `${other.id} into ${spec.id}`).toThrow(/loadStateDict/);
        expect(snapshot(optimizer)).toEqual(before);
      }

      // Give the first tensor of the state a wrong shape (same number of values).
      const sd = JSON.parse(JSON.stringify(optimizer.stateDict())) as OptimizerStateDict;
      const isTensor = (v: unknown): v is { shape: number[] } => v !== null && typeof v === 'object' && 'shape' in v && (v as { shape: number[] }).shape.length > 0;
      const target = Object.values(sd.state)
        .flatMap((entry) => Object.values(entry))
        .find(isTensor) as { shape: number[] } | undefined;
      if (target !== undefined) {
        target.shape = [1, ...target.shape];
        expect(() => optimizer.loadStateDict(sd)).toThrow(/shape/);
        expect(snapshot(optimizer)).toEqual(before);
      }

      const fewerGroups = { ...optimizer.stateDict(), param_groups: [] };
      expect(() => optimizer.loadStateDict(fewerGroups)).toThrow(/0 param group/);
      const badOption = JSON.parse(JSON.stringify(optimizer.stateDict())) as OptimizerStateDict;
      badOption.param_groups[0]!.lr = -1;
      expect(() => optimizer.loadStateDict(badOption)).toThrow(/Invalid learning rate: -1/);
      expect(snapshot(optimizer)).toEqual(before);
    });

    test('a parameter in two groups is refused', () => {
      const [a, b] = quadratic(1, spec).params;
      // LBFGS refuses any second group, which it says first.
      const refusal = spec.stateKind === 'flat' ? /doesn't support per-parameter options/ : /more than one parameter group/;
      expect(() => spec.create([{ params: [a!] }, { params: [b!, a!] }])).toThrow(refusal);
      const optimizer = spec.create([a!]);
      expect(() => optimizer.addParamGroup({ params: [a!] })).toThrow(refusal);
      expect(optimizer.paramGroups.length).toBe(1);
    });

    test("a non-leaf tensor is refused as a parameter (PyTorch: can't optimize a non-leaf Tensor), and nothing changes", () => {
      const [a, b] = quadratic(1, spec).params;
      const computed = b!.mul(2);
      expect(() => spec.create([a!, computed])).toThrow(/can't optimize a non-leaf Tensor: param group 0's parameter 1/);
      expect(() => spec.create([['w', a!], ['twice b', computed]])).toThrow(/parameter 1 \('twice b'\)/);
      const optimizer = spec.create([a!]);
      const before = JSON.stringify(optimizer.stateDict());
      // LBFGS refuses a second group before it looks at the params.
      expect(() => optimizer.addParamGroup({ params: [computed] })).toThrow(spec.stateKind === 'flat' ? /doesn't support per-parameter options/ : /non-leaf/);
      expect(optimizer.paramGroups.length).toBe(1);
      expect(JSON.stringify(optimizer.stateDict())).toBe(before);
      // Its detached copy is a leaf: accepted.
      expect(() => spec.create([a!, computed.detach()])).not.toThrow();
    });

    test.runIf(spec.lrSeedsState === undefined)('live lr edits take effect: lr 0 freezes, restoring it moves again', () => {
      const named = modelParams(41, spec);
      const params = named.map(([, t]) => t);
      const optimizer = spec.create(params, optionsOf(spec));
      const gen = new Generator(43);
      stepWithGradients(spec, optimizer, params, gen);
      const lr = optimizer.paramGroups[0]!.lr as number;
      optimizer.paramGroups[0]!.lr = 0;
      const frozen = params.map((p) => Array.from(p.data));
      stepWithGradients(spec, optimizer, params, gen);
      params.forEach((p, i) => expect(Array.from(p.data)).toEqual(frozen[i]));
      optimizer.paramGroups[0]!.lr = lr;
      stepWithGradients(spec, optimizer, params, gen);
      expect(params.some((p, i) => p.data.some((v, j) => v !== frozen[i]![j]))).toBe(true);
    });

    test('the registry entry is complete and its box is the file’s box', () => {
      expect(getOptimizerSpec(spec.id)).toBe(spec);
      expect(spec.create(quadratic(1, spec).params, {}).name).toBe(spec.displayName);
      for (const option of spec.options) expect(Object.keys(spec.defaults)).toContain(option.name);
      expect(spec.options.map((o) => o.name).sort()).toEqual(Object.keys(spec.defaults).sort());
      expect(spec.stateBytesPerParam()).toBeGreaterThanOrEqual(0);
      const file = { sparseadam: 'sparse_adam' }[spec.id] ?? spec.id;
      const source = readFileSync(fileURLToPath(new URL(`../src/optim/${file}.ts`, import.meta.url)), 'utf8');
      const box = /\* ```text\n([\s\S]*?)\n \* ```/.exec(source)![1]!.split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n');
      expect(spec.algorithm).toBe(box);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Contract details that do not vary by optimizer

  describe('the Optimizer contract', () => {
    test('step(closure) returns what the closure returned, after running it with gradients enabled', () => {
      const { params, loss } = quadratic();
      const optimizer = new Adam(params, { lr: 0.01 });
      let calls = 0;
      const returned = optimizer.step(() => {
        calls++;
        optimizer.zeroGrad();
        const l = loss();
        l.backward();
        return l;
      });
      expect(calls).toBe(1);
      expect(returned).toBeInstanceOf(Tensor);
      expect(optimizer.step()).toBeUndefined();
      expect(optimizer.step(() => 42)).toBe(42);
    });

    test('zeroGrad drops gradients by default and zero-fills them with setToNone false', () => {
      const [a, b] = quadratic().params;
      const optimizer = new SGD([a!, b!], { lr: 0.1 });
      a!.grad = new Tensor(new Float32Array(12).fill(1), [3, 4]);
      b!.grad = new Tensor(new Float32Array(5).fill(2), [5]);
      optimizer.zeroGrad({ setToNone: false });
      expect(Array.from((a!.grad as Tensor).data)).toEqual(new Array(12).fill(0));
      optimizer.zeroGrad();
      expect(a!.grad).toBeNull();
      expect(b!.grad).toBeNull();
    });

    test('params: named pairs, groups with overrides, addParamGroup; names only all or none', () => {
      const named = modelParams(47);
      const [[, w], [, bias], [, head]] = named;
      const optimizer = new Adam([{ params: [w!, bias!], lr: 0.1 }, { params: [head!] }], { lr: 0.01, betas: [0.8, 0.9] });
      expect(optimizer.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
      expect(optimizer.paramGroups[1]!.betas).toEqual([0.8, 0.9]);
      // Each group owns its betas: a scheduler editing one does not edit the others or the defaults.
      optimizer.paramGroups[0]!.betas[0] = 0.5;
      expect(optimizer.paramGroups[1]!.betas[0]).toBe(0.8);
      expect(optimizer.defaults.betas[0]).toBe(0.8);

      const extra = new Tensor(new Float32Array(3), [3], { requiresGrad: true });
      optimizer.addParamGroup({ params: [extra], weightDecay: 0.1 });
      expect(optimizer.paramGroups[2]!.weightDecay).toBe(0.1);
      expect(optimizer.paramGroups[2]!.lr).toBe(0.01);

      const byName = new Adam(named, { lr: 0.01 });
      expect(byName.paramGroups[0]!.paramNames).toEqual(['layer.weight', 'layer.bias', 'head.weight']);
      expect(() => byName.addParamGroup({ params: [extra] })).toThrow(/all param groups must be named/);
      expect(() => new Adam([], {})).toThrow(/empty parameter list/);
      expect(() => new Adam([1, 2] as never, {})).toThrow(/can only optimize Tensors/);
      expect(() => new Adam(w! as never, {})).toThrow(/single Tensor/);
    });

    test("SGD's lr defaults to PyTorch 2.x's 1e-3; a group without one takes the optimizer's", () => {
      const [a, b] = quadratic().params;
      expect(new SGD([a!]).defaults.lr).toBe(1e-3);
      const grouped = new SGD([{ params: [a!], lr: 0.1 }, { params: [b!] }], { lr: 0.2 });
      expect(grouped.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.2]);
    });

    test('a sparse gradient where only dense ones work (and the reverse) is refused before anything moves', () => {
      const [a, b] = quadratic().params;
      const before = [Array.from(a!.data), Array.from(b!.data)];
      const adam = new Adam([a!, b!], { lr: 0.1 });
      a!.grad = new Tensor(new Float32Array(12).fill(1), [3, 4]);
      b!.grad = new SparseRows([1], new Tensor(new Float32Array(1).fill(1), [1]), [5]);
      expect(() => adam.step()).toThrow(/Adam does not support sparse gradients, please consider SparseAdam instead/);
      expect([Array.from(a!.data), Array.from(b!.data)]).toEqual(before);
      expect(adam.state.size).toBe(0);

      const sparseAdam = new SparseAdam([a!, b!]);
      expect(() => sparseAdam.step()).toThrow(/SparseAdam does not support dense gradients/);
      expect([Array.from(a!.data), Array.from(b!.data)]).toEqual(before);

      const adagrad = new Adagrad([a!, b!], { weightDecay: 0.1 });
      expect(() => adagrad.step()).toThrow(/weightDecay \(0\.1\) is not compatible with sparse gradients/);
      expect([Array.from(a!.data), Array.from(b!.data)]).toEqual(before);

    });

    test('Adagrad with row-sparse gradients equals Adagrad with the same gradients made dense, rows repeated', () => {
      const gen = new Generator(53);
      const sparseParam = randomTensor([6, 2], gen);
      const denseParam = new Tensor(Float32Array.from(sparseParam.data), [6, 2], { requiresGrad: true });
      const sparse = new Adagrad([sparseParam], { lr: 0.3, initialAccumulatorValue: 0.1 });
      const dense = new Adagrad([denseParam], { lr: 0.3, initialAccumulatorValue: 0.1 });
      for (let t = 0; t < 4; t++) {
        // Rows 0..5 each appear at least once (so every row moves in both), row t twice.
        const rows = [0, 1, 2, 3, 4, 5, t];
        const g = new SparseRows(rows, randomTensor([rows.length, 2], gen, 1, false), [6, 2]);
        sparseParam.grad = g;
        denseParam.grad = g.toDense();
        sparse.step();
        dense.step();
      }
      const maxDiff = Math.max(...Array.from(sparseParam.data, (v, i) => Math.abs(v - denseParam.data[i]!)));
      expect(maxDiff).toBeLessThan(1e-6);
    });

    test('the registry looks optimizers up by id or class name, and builds them', () => {
      expect(getOptimizerSpec('AdamW').id).toBe('adamw');
      expect(() => getOptimizerSpec('adamm')).toThrow(/unknown optimizer 'adamm' \(known: sgd, /);
      const optimizer = createOptimizer('rmsprop', quadratic().params, { lr: 0.01 });
      expect(optimizer.name).toBe('RMSprop');
      expect(getOptimizerSpec('adam').stateBytesPerParam()).toBe(8);
      expect(getOptimizerSpec('adam').stateBytesPerParam({ amsgrad: true })).toBe(12);
      expect(getOptimizerSpec('sgd').stateBytesPerParam({ momentum: 0.9 })).toBe(4);
    });
  });
});

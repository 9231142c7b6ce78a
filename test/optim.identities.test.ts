/**
 * Relatives are configurations, so some optimizers must coincide exactly (STYLE §3):
 *  - AdamW with weightDecay 0 is Adam: the same kernel with the decay factor 1 − γ·0 = 1 and no
 *    L2 term, so every bit agrees (with AMSGrad and maximize too);
 *  - Adam with decoupledWeightDecay is AdamW (PyTorch 2.x's AdamW is exactly that Adam), and
 *    AdamW's state dict loads into such an Adam;
 *  - Adagrad on a row-sparse gradient is Adagrad on the same gradient made dense: rows a step
 *    does not name get g = 0, so their sum gains 0 and the parameter moves by 0;
 *  - on the plain path the classes run the kernels of the kernel table, so a replacement is used.
 * The identities hold on both kernel backends: each runs the same kernel on both sides.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend, withKernelBackend } from '../src/wasm/backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { SparseRows } from '../src/tensor/sparse.js';
import { Generator } from '../src/tensor/random.js';
import { Adam, AdamW, Adagrad, type Optimizer } from '../src/optim/index.js';
import { kernels, referenceKernels, useKernels } from '../src/optim/kernels/index.js';

function randomTensor(shape: number[], gen: Generator, requiresGrad = true): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = gen.normal();
  return new Tensor(data, shape, { requiresGrad });
}

function twin(params: Tensor[]): Tensor[] {
  return params.map((p) => new Tensor(Float32Array.from(p.data), [...p.shape], { requiresGrad: true }));
}

/** Runs both optimizers on the same gradient stream and returns their params. */
function runSide(make: (params: Tensor[]) => Optimizer<object>, params: Tensor[], seed: number, steps: number): Optimizer<object> {
  const optimizer = make(params);
  const gen = new Generator(seed);
  for (let t = 0; t < steps; t++) {
    for (const p of params) p.grad = randomTensor(p.shape, gen, false);
    optimizer.step();
  }
  return optimizer;
}

describe.each(['js', 'wasm'] as const)('%s kernels', (backend) => {
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  describe('AdamW with weightDecay 0 is Adam, bit for bit', () => {
    test.each([
      ['plain', {}],
      ['amsgrad', { amsgrad: true }],
      ['maximize', { maximize: true }],
      ['betas and eps', { betas: [0.8, 0.99] as [number, number], eps: 1e-6 }],
    ])('%s', (_label, extra) => {
      const gen = new Generator(3);
      const params = [randomTensor([4, 5], gen), randomTensor([7], gen)];
      const copies = twin(params);
      const adam = runSide((p) => new Adam(p, { lr: 0.05, ...extra }), params, 9, 25);
      const adamw = runSide((p) => new AdamW(p, { lr: 0.05, weightDecay: 0, ...extra }), copies, 9, 25);
      params.forEach((p, i) => expect(copies[i]!.data).toEqual(p.data));
      // Same state too; the state dicts differ only in PyTorch's implementation keys.
      expect(adamw.stateDict().state).toEqual(adam.stateDict().state);
    });

    test.each([
      ['plain', {}],
      ['amsgrad', { amsgrad: true }],
      ['maximize', { maximize: true }],
    ])('Adam with decoupledWeightDecay is AdamW, bit for bit (%s)', (_label, extra) => {
      const gen = new Generator(5);
      const params = [randomTensor([4, 5], gen), randomTensor([7], gen)];
      const copies = twin(params);
      const adam = runSide((p) => new Adam(p, { lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true, ...extra }), params, 11, 25);
      const adamw = runSide((p) => new AdamW(p, { lr: 0.05, weightDecay: 0.1, ...extra }), copies, 11, 25);
      params.forEach((p, i) => expect(copies[i]!.data).toEqual(p.data));
      expect(adamw.stateDict().state).toEqual(adam.stateDict().state);
      // AdamW's state dict says decoupled_weight_decay: true; Adam takes it and steps on as AdamW.
      const resumed = new Adam(twin(copies), { lr: 0.05 });
      resumed.loadStateDict(JSON.parse(JSON.stringify(adamw.stateDict())));
      expect(resumed.paramGroups[0]!.decoupledWeightDecay).toBe(true);
      expect(resumed.stateDict()).toEqual({ ...adamw.stateDict(), param_groups: adamw.stateDict().param_groups.map((g) => ({ ...g, decoupled_weight_decay: true })) });
    });

    test('and with weightDecay > 0 they differ (coupled L2 vs decoupled decay)', () => {
      const gen = new Generator(4);
      const params = [randomTensor([6], gen)];
      const copies = twin(params);
      runSide((p) => new Adam(p, { lr: 0.05, weightDecay: 0.1 }), params, 10, 5);
      runSide((p) => new AdamW(p, { lr: 0.05, weightDecay: 0.1 }), copies, 10, 5);
      expect(copies[0]!.data).not.toEqual(params[0]!.data);
    });
  });

  test('Adagrad on row-sparse gradients is Adagrad on the same gradients made dense, bit for bit', () => {
    const gen = new Generator(21);
    const sparseParam = randomTensor([8, 3], gen);
    const [denseParam] = twin([sparseParam]);
    const sparse = new Adagrad([sparseParam], { lr: 0.2, lrDecay: 0.01, initialAccumulatorValue: 0.1, maximize: true });
    const dense = new Adagrad([denseParam!], { lr: 0.2, lrDecay: 0.01, initialAccumulatorValue: 0.1, maximize: true });
    for (let t = 0; t < 6; t++) {
      // A few rows, one of them twice: repeated rows add up.
      const rows = [gen.integer(0, 8), gen.integer(0, 8), 5, 5];
      const g = new SparseRows(rows, randomTensor([rows.length, 3], gen, false), [8, 3]);
      sparseParam.grad = g;
      denseParam!.grad = g.toDense();
      sparse.step();
      dense.step();
    }
    expect(sparseParam.data).toEqual(denseParam!.data);
    expect(sparse.stateDict()).toEqual(dense.stateDict());
  });
});

test('on the plain path the classes call the kernel table: a replacement runs, and restoring brings the reference back', () => withKernelBackend('js', () => {
  const gen = new Generator(31);
  const params = [randomTensor([3, 3], gen), randomTensor([2], gen)];
  const copies = twin(params);
  let calls = 0;
  const restore = useKernels({
    adamUpdate: (...args) => {
      calls++;
      referenceKernels.adamUpdate(...args);
    },
  });
  try {
    runSide((p) => new Adam(p, { lr: 0.01 }), params, 33, 4);
  } finally {
    restore();
  }
  expect(calls).toBe(2 * 4);
  expect(kernels.adamUpdate).toBe(referenceKernels.adamUpdate);
  runSide((p) => new Adam(p, { lr: 0.01 }), copies, 33, 4);
  params.forEach((p, i) => expect(copies[i]!.data).toEqual(p.data));
}));

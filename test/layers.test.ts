/**
 * Convolution, pooling, normalization, channel dropout and the extra losses:
 * - against PyTorch 2.14's own outputs and input gradients (float64, test/fixtures/nn, written by
 *   test/fixtures/nn/generate.py), for the options each case moves off its default;
 * - by float64 central differences (every op, several configurations);
 * - the layers' PyTorch semantics: init, buffers and their state-dict names, train/eval, errors.
 * float64 against float64: correct code agrees to about 1e-12; the bound 1e-9 leaves room for
 * summation order and nothing else.
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Tensor, Generator, tensor, noGrad, manualSeed, randn } from '../src/index.js';
import { SparseRows } from '../src/tensor/sparse.js';
import * as F from '../src/nn/functional.js';
import { Conv2d, MaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, LayerNorm, Dropout2d, Sequential, ReLU, Flatten, Linear, Module } from '../src/nn/index.js';
import { gradcheck, randomInput } from './helpers/gradcheck.js';
import { assertAllclose } from './helpers/allclose.js';

interface Blob { shape: number[]; data: number[] }
interface Case {
  name: string;
  options: Record<string, unknown>;
  inputs: Record<string, Blob>;
  upstream?: Blob;
  output?: Blob;
  grads?: Record<string, number[]>;
  after_two_batches?: { running_mean: number[]; running_var: number[]; num_batches_tracked?: number };
  eval_output?: number[];
  state_dict_keys?: string[];
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/nn/pytorch-2.14.json', import.meta.url), 'utf8')) as { cases: Case[] };
const byName = (name: string): Case => {
  const c = golden.cases.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no golden case ${name}`);
  return c;
};
const f64 = (b: Blob, requiresGrad = true): Tensor => tensor(b.data, b.shape, { dtype: 'float64', requiresGrad });
const parity = { rtol: 1e-9, atol: 1e-10 };
const dense = (g: Tensor | SparseRows | null): ArrayLike<number> => {
  if (!(g instanceof Tensor)) throw new Error('expected a dense gradient');
  return g.data;
};

/** Runs `f` on the case's inputs, back-propagates the case's upstream gradient, and compares both. */
function replay(name: string, f: (inputs: Record<string, Tensor>) => Tensor): void {
  const c = byName(name);
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, f64(v)]));
  const out = f(inputs);
  expect(out.shape).toEqual(c.output!.shape);
  assertAllclose(out.data, c.output!.data, parity, `${name} output`);
  out.mul(f64(c.upstream!, false)).sum().backward();
  for (const [k, expected] of Object.entries(c.grads!)) assertAllclose(dense(inputs[k]!.grad), expected, parity, `${name} ∂/∂${k}`);
}

describe('against PyTorch 2.14', () => {
  it('conv2d with groups, stride, padding and dilation off their defaults, with bias', () => {
    replay('conv2d_groups_stride_pad_dilation', ({ x, w, b }) => F.conv2d(x!, w!, b!, { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }));
  });
  it('conv2d with padding 1 and no bias', () => {
    replay('conv2d_pad1_nobias', ({ x, w }) => F.conv2d(x!, w!, null, { padding: 1 }));
  });
  it('maxPool2d: padding, and a rectangular dilated kernel', () => {
    replay('maxpool_k3_s2_p1', ({ x }) => F.maxPool2d(x!, 3, { stride: 2, padding: 1 }));
    replay('maxpool_k23_s1_d2', ({ x }) => F.maxPool2d(x!, [2, 3], { stride: 1, dilation: 2 }));
  });
  it('avgPool2d with the padding counted and not', () => {
    replay('avgpool_k3_s2_p1_incl', ({ x }) => F.avgPool2d(x!, 3, { stride: 2, padding: 1 }));
    replay('avgpool_k3_s2_p1_excl', ({ x }) => F.avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false }));
  });
  it('layerNorm over the last two dims with weight and bias', () => {
    replay('layernorm_last2', ({ x, w, b }) => F.layerNorm(x!, [4, 5], w!, b!));
  });
  it('l1, smooth L1 (β 0.5), Huber (δ 0.7), binary cross-entropy with weight, KL (batchmean, logTarget)', () => {
    replay('l1_mean', ({ a, t }) => F.l1Loss(a!, t!));
    replay('smoothl1_beta05_none', ({ a, t }) => F.smoothL1Loss(a!, t!, { beta: 0.5, reduction: 'none' }));
    replay('huber_delta07_sum', ({ a, t }) => F.huberLoss(a!, t!, { delta: 0.7, reduction: 'sum' }));
    const weight = f64(byName('bce_weight_mean').options.weight as Blob, false);
    replay('bce_weight_mean', ({ p, t }) => F.binaryCrossEntropy(p!, t!, { weight }));
    replay('kldiv_batchmean', ({ q, p }) => F.klDiv(q!, p!, { reduction: 'batchmean' }));
    replay('kldiv_logtarget_sum', ({ q, p }) => F.klDiv(q!, p!, { reduction: 'sum', logTarget: true }));
  });
  it('BatchNorm2d: training output and gradients, running statistics after two batches, evaluation, state-dict names', () => {
    const c = byName('batchnorm2d_train_then_eval');
    const bn = new BatchNorm2d(3, { dtype: 'float64' });
    bn.weight!.data.set(c.inputs.weight!.data);
    bn.bias!.data.set(c.inputs.bias!.data);
    const x = f64(c.inputs.x!);
    const out = bn.call(x);
    assertAllclose(out.data, c.output!.data, parity, 'batchnorm2d output');
    out.mul(f64(c.upstream!, false)).sum().backward();
    assertAllclose(dense(x.grad), c.grads!.x!, parity, 'batchnorm2d ∂/∂x');
    assertAllclose(dense(bn.weight!.grad), c.grads!.weight!, parity, 'batchnorm2d ∂/∂γ');
    assertAllclose(dense(bn.bias!.grad), c.grads!.bias!, parity, 'batchnorm2d ∂/∂β');
    noGrad(() => bn.call(x.detach().mul(0.5)));
    assertAllclose(bn.runningMean!.data, c.after_two_batches!.running_mean, parity, 'running_mean');
    assertAllclose(bn.runningVar!.data, c.after_two_batches!.running_var, parity, 'running_var');
    expect(bn.getBuffer('num_batches_tracked')!.item()).toBe(c.after_two_batches!.num_batches_tracked);
    bn.eval();
    assertAllclose(noGrad(() => bn.call(x.detach())).data, c.eval_output!, parity, 'batchnorm2d eval');
    expect(Object.keys(bn.stateDict())).toEqual(c.state_dict_keys);
  });
  it('BatchNorm1d with momentum null keeps a cumulative average', () => {
    const c = byName('batchnorm1d_cumulative');
    const bn = new BatchNorm1d(5, { momentum: null, affine: false, dtype: 'float64' });
    noGrad(() => {
      bn.call(f64(c.inputs.x!, false));
      bn.call(f64(c.inputs.x2!, false));
    });
    assertAllclose(bn.runningMean!.data, c.after_two_batches!.running_mean, parity, 'cumulative running_mean');
    assertAllclose(bn.runningVar!.data, c.after_two_batches!.running_var, parity, 'cumulative running_var');
    expect(bn.parameters()).toHaveLength(0);
  });
});

describe('gradients by central differences (float64)', () => {
  const tol = { rtol: 1e-6, atol: 1e-7 };
  let seed = 900;
  const input = (shape: number[]): Tensor => randomInput(shape, seed++);
  it('conv2d over stride, padding, dilation and groups', () => {
    gradcheck((x, w, b) => F.conv2d(x, w, b), [input([1, 2, 4, 4]), input([3, 2, 2, 2]), input([3])], tol, 'conv2d plain');
    gradcheck((x, w) => F.conv2d(x, w, null, { stride: 2, padding: 1 }), [input([2, 2, 5, 4]), input([2, 2, 3, 3])], tol, 'conv2d stride 2 pad 1');
    gradcheck((x, w, b) => F.conv2d(x, w, b, { dilation: [2, 1], groups: 2, padding: [2, 0] }), [input([1, 4, 5, 5]), input([2, 2, 2, 3]), input([2])], tol, 'conv2d dilated grouped');
  });
  it('pooling (max with distinct values so no window has a tie)', () => {
    const distinct = (shape: number[]): Tensor => {
      const n = shape.reduce((a, b) => a * b, 1);
      const order = Array.from({ length: n }, (_, i) => i);
      const g = new Generator(seed++);
      for (let i = n - 1; i > 0; i--) {
        const j = g.integer(0, i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      return tensor(order.map((v) => v / n), shape, { dtype: 'float64', requiresGrad: true });
    };
    gradcheck((x) => F.maxPool2d(x, 2), [distinct([1, 2, 4, 6])], tol, 'maxPool2d 2');
    gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [distinct([2, 1, 5, 5])], tol, 'maxPool2d 3/2/1');
    gradcheck((x) => F.avgPool2d(x, [2, 3], { stride: 1, padding: [1, 1], countIncludePad: false }), [input([1, 2, 4, 5])], tol, 'avgPool2d');
  });
  it('batchNorm (training, with affine) and layerNorm', () => {
    gradcheck((x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), [input([4, 3, 2, 2]), input([3]), input([3])], tol, 'batchNorm train');
    gradcheck((x) => F.batchNorm(x, tensor([0.1, -0.2], [2], { dtype: 'float64' }), tensor([0.5, 2], [2], { dtype: 'float64' })), [input([3, 2])], tol, 'batchNorm eval');
    gradcheck((x, w, b) => F.layerNorm(x, [3], w, b), [input([2, 4, 3]), input([3]), input([3])], tol, 'layerNorm');
  });
  it('losses, in both arguments, away from their kinks', () => {
    const a = input([3, 4]);
    const t = tensor(a.data.map((v, i) => v + (i % 2 === 0 ? 0.3 : -1.4)), [3, 4], { dtype: 'float64', requiresGrad: true });
    gradcheck((x, y) => F.l1Loss(x, y), [a, t], tol, 'l1Loss');
    gradcheck((x, y) => F.smoothL1Loss(x, y, { beta: 1 }), [a, t], tol, 'smoothL1Loss both branches');
    gradcheck((x, y) => F.huberLoss(x, y, { delta: 0.8, reduction: 'sum' }), [a, t], tol, 'huberLoss both branches');
    const p = randomInput([3, 4], seed++, { low: 0.1, high: 0.9 });
    const y = randomInput([3, 4], seed++, { low: 0, high: 1 });
    gradcheck((x, z) => F.binaryCrossEntropy(x, z), [p, y], tol, 'binaryCrossEntropy');
    const q = F.logSoftmax(input([2, 5]), 1).detach();
    q.requiresGrad = true;
    const target = F.softmax(input([2, 5]), 1).detach();
    target.requiresGrad = true;
    gradcheck((x, z) => F.klDiv(x, z, { reduction: 'batchmean' }), [q, target], tol, 'klDiv');
    const logTarget = F.logSoftmax(input([2, 5]), 1).detach();
    logTarget.requiresGrad = true;
    gradcheck((x, z) => F.klDiv(x, z, { logTarget: true }), [q, logTarget], tol, 'klDiv logTarget');
  });
});

describe('loss edge cases', () => {
  it('smooth L1 and Huber switch branch exactly at β and δ (value and slope on both sides)', () => {
    const zero = tensor([0, 0], [2], { dtype: 'float64' });
    const below = tensor([0.4999, -0.4999], [2], { dtype: 'float64', requiresGrad: true });
    const above = tensor([0.5001, -0.5001], [2], { dtype: 'float64', requiresGrad: true });
    const sl = (x: Tensor): Tensor => F.smoothL1Loss(x, zero, { beta: 0.5, reduction: 'none' });
    expect(sl(below).data[0]).toBeCloseTo(0.5 * 0.4999 ** 2 / 0.5, 12);
    expect(sl(above).data[0]).toBeCloseTo(0.5001 - 0.25, 12);
    sl(below).sum().backward();
    sl(above).sum().backward();
    expect(Array.from(dense(below.grad))).toEqual([0.4999 / 0.5, -0.4999 / 0.5]);
    expect(Array.from(dense(above.grad))).toEqual([1, -1]);
    const hb = F.huberLoss(tensor([2], [1], { dtype: 'float64' }), tensor([0], [1], { dtype: 'float64' }), { delta: 0.5 });
    expect(hb.item()).toBeCloseTo(0.5 * (2 - 0.25), 12);
  });
  it('smooth L1 with β = 0 is L1; KL is 0 where the target is 0; BCE clamps log at −100', () => {
    const x = tensor([0.3, -2], [2], { dtype: 'float64' });
    const y = tensor([1, 1], [2], { dtype: 'float64' });
    expect(F.smoothL1Loss(x, y, { beta: 0 }).item()).toBeCloseTo(F.l1Loss(x, y).item(), 14);
    expect(F.klDiv(tensor([-1, -2], [2]), tensor([0, 1], [2]), { reduction: 'none' }).data[0]).toBe(0);
    expect(F.binaryCrossEntropy(tensor([0], [1]), tensor([1], [1])).item()).toBe(100);
  });
  it('refuses what PyTorch refuses, naming the problem', () => {
    expect(() => F.binaryCrossEntropy(tensor([1.5], [1]), tensor([1], [1]))).toThrow(/probabilities in \[0, 1\]/);
    expect(() => F.l1Loss(tensor([1, 2], [2]), tensor([1], [1]))).toThrow(/l1Loss: input shape \[2\] and target shape \[1\] differ/);
    expect(() => F.huberLoss(tensor([1], [1]), tensor([1], [1]), { delta: 0 })).toThrow(/delta must be a finite number > 0/);
    expect(() => F.klDiv(tensor([1], [1]), tensor([1], [1]), { reduction: 'avg' as 'sum' })).toThrow(/reduction/);
  });
});

describe('layers', () => {
  it("Conv2d: PyTorch's init bounds, parameter names and output shape; 'same' padding keeps the size", () => {
    const conv = new Conv2d(4, 6, 3, { groups: 2, generator: new Generator(1) });
    const bound = 1 / Math.sqrt(2 * 9);
    expect(conv.weight.shape).toEqual([6, 2, 3, 3]);
    expect(Math.max(...conv.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...conv.weight.data.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(Math.max(...conv.bias!.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(conv.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(conv.call(randn([2, 4, 9, 7])).shape).toEqual([2, 6, 7, 5]);
    expect(new Conv2d(3, 2, 5, { padding: 'same' }).call(randn([1, 3, 8, 6])).shape).toEqual([1, 2, 8, 6]);
  });
  it('bad shapes are refused with the layer named', () => {
    expect(() => new Conv2d(3, 4, 3).call(randn([1, 2, 8, 8]))).toThrow(/Conv2d\(3 → 4\): expected input \[N, 3, H, W\], got \[1, 2, 8, 8\]/);
    expect(() => new Conv2d(3, 4, 5).call(randn([1, 3, 4, 8]))).toThrow(/kernel 5×5 .* larger than the padded input 4×8/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups 2/);
    expect(() => new MaxPool2d(2, { padding: 2 }).call(randn([1, 1, 8, 8]))).toThrow(/padding 2×2 must be at most half the kernel/);
    expect(() => new BatchNorm2d(3).call(randn([2, 4, 3, 3]))).toThrow(/BatchNorm2d\(3\): .* 3 channels in dim 1, got \[2, 4, 3, 3\]/);
    expect(() => new LayerNorm([4, 5]).call(randn([2, 5, 4]))).toThrow(/does not end in normalizedShape \[4, 5\]/);
  });
  it('BatchNorm: train updates the buffers, eval does not; state dict carries buffers; a missing buffer is refused and nothing changes', () => {
    manualSeed(3);
    const bn = new BatchNorm1d(4);
    const x = randn([16, 4]).mul(3).add(2);
    bn.call(x);
    const afterTrain = Array.from(bn.runningMean!.data);
    expect(afterTrain.every((v) => Math.abs(v) > 0.05)).toBe(true);
    bn.eval();
    bn.call(x);
    expect(Array.from(bn.runningMean!.data)).toEqual(afterTrain);
    const state = bn.stateDict();
    expect(Object.keys(state)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    const fresh = new BatchNorm1d(4);
    const { running_var: _dropped, ...partial } = state;
    expect(() => fresh.loadStateDict(partial)).toThrow(/missing keys: running_var/);
    expect(Array.from(fresh.runningMean!.data)).toEqual([0, 0, 0, 0]);
    fresh.loadStateDict(state);
    expect(Array.from(fresh.runningMean!.data)).toEqual(afterTrain);
    expect(fresh.buffers()).toHaveLength(3);
  });
  it('non-persistent buffers are listed but not saved; buffers cannot shadow parameters', () => {
    class WithBuffers extends Module {
      fc = new Linear(2, 2);
      constructor() {
        super();
        this.registerBuffer('scale', tensor([2, 3], [2]));
        this.registerBuffer('cache', tensor([0], [1]), { persistent: false });
      }
      forward(x: Tensor): Tensor {
        return this.fc.call(x).mul(this.getBuffer('scale')!);
      }
    }
    const m = new WithBuffers();
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['scale', 'cache']);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(() => m.registerBuffer('fc', tensor([1], [1]))).toThrow(/already a parameter or module/);
    expect(() => m.getBuffer('nope')).toThrow(/has no buffer 'nope'/);
  });
  it('Dropout2d zeroes whole channels in training, scales survivors, and is the identity in eval', () => {
    const drop = new Dropout2d(0.5, { generator: new Generator(4) });
    const x = randn([4, 6, 3, 3]).abs().add(0.1);
    const y = drop.call(x);
    let zeroed = 0;
    for (let c = 0; c < 24; c++) {
      const values = Array.from(y.data.subarray(c * 9, c * 9 + 9));
      const ratios = values.map((v, i) => v / x.data[c * 9 + i]!);
      expect(new Set(ratios.map((r) => r.toFixed(5))).size).toBe(1);
      if (ratios[0] === 0) zeroed++;
      else expect(ratios[0]).toBeCloseTo(2, 5);
    }
    expect(zeroed).toBeGreaterThan(4);
    expect(zeroed).toBeLessThan(20);
    drop.eval();
    expect(drop.call(x)).toBe(x);
  });
  it('a small CNN trains: the loss falls on a separable image task', () => {
    manualSeed(5);
    const images = randn([32, 1, 8, 8]);
    const labels = Array.from({ length: 32 }, (_, i) => i % 2);
    for (let i = 0; i < 32; i++) if (labels[i] === 1) for (let p = 0; p < 16; p++) images.data[i * 64 + p]! += 2;
    const model = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new LayerNorm(64), new Linear(64, 2));
    const params = model.parameters();
    const first = F.crossEntropy(model.call(images) as Tensor, labels).item();
    let last = first;
    for (let step = 0; step < 30; step++) {
      for (const p of params) p.grad = null;
      const loss = F.crossEntropy(model.call(images) as Tensor, labels);
      loss.backward();
      noGrad(() => params.forEach((p) => p.data.set(p.sub((p.grad as Tensor).mul(0.1)).data)));
      last = loss.item();
    }
    expect(last).toBeLessThan(first * 0.2);
  });
});

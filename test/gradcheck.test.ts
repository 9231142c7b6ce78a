/**
 * Every differentiable op, functional op and layer against central differences in float64.
 *
 * Inputs avoid the points where a function has a kink (|x| at 0, relu at 0, clamp at its
 * bounds, ties in max/min/maximum), since there the one-sided slopes differ and the numeric
 * derivative is meaningless. Tolerance: the difference quotient's own error with h = 1e-6 is
 * about 1e-10·|L|, so rtol 1e-6 / atol 1e-7 leaves a wide margin while still catching any
 * real mistake (a wrong factor or sign shows up at the 1e-1 level).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { Tensor, Generator, tensor, scalar, where, cat, stack, pow, maximum, minimum } from '../src/index.js';
import * as F from '../src/nn/functional.js';
import { Linear, Embedding, Sequential, ReLU } from '../src/nn/index.js';
import { gradcheck, randomInput, type GradcheckReport } from './helpers/gradcheck.js';
import { assertAllclose } from './helpers/allclose.js';

const tight = { rtol: 1e-6, atol: 1e-7 };

const worst: GradcheckReport = { maxAbsError: 0, maxRelError: 0 };
let checks = 0;
function check(label: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol = tight): void {
  const r = gradcheck(f, inputs, tol, label);
  worst.maxAbsError = Math.max(worst.maxAbsError, r.maxAbsError);
  checks++;
}
afterAll(() => {
  console.log(`gradcheck: ${checks} checks, worst |analytic − numeric| = ${worst.maxAbsError.toExponential(2)}`);
});

let seed = 100;
/** Uniform float64 input in [low, high) that requires grad; each call draws a new seed. */
function input(shape: number[], low = -1, high = 1): Tensor {
  return randomInput(shape, seed++, { low, high });
}
/** Values with |x| in [0.3, 1.5) and random signs: no kink of abs, relu, sign or 1/x nearby. */
function awayFromZero(shape: number[]): Tensor {
  const x = input(shape, 0.3, 1.5);
  const signs = new Generator(seed++);
  for (let i = 0; i < x.data.length; i++) if (signs.uniform() < 0.5) x.data[i] = -x.data[i]!;
  return x;
}
/** A second input at least 0.2 away from `a` everywhere, so maximum/minimum have no ties. */
function apartFrom(a: Tensor): Tensor {
  const offsets = awayFromZero(a.shape);
  return new Tensor(a.data.map((v, i) => v + 0.5 * offsets.data[i]!), a.shape, { requiresGrad: true });
}
const f64 = (values: number[], shape?: number[]): Tensor => tensor(values, shape, { dtype: 'float64', requiresGrad: true });

describe('elementwise binary ops, same shape', () => {
  it('add, sub, mul', () => {
    check('add', (a, b) => a.add(b), [input([3, 4]), input([3, 4])]);
    check('sub', (a, b) => a.sub(b), [input([3, 4]), input([3, 4])]);
    check('mul', (a, b) => a.mul(b), [input([3, 4]), input([3, 4])]);
  });
  it('div (denominator away from 0)', () => {
    check('div', (a, b) => a.div(b), [input([3, 4]), awayFromZero([3, 4])]);
  });
  it('pow in both the base (positive) and the exponent', () => {
    check('pow', (a, b) => a.pow(b), [input([3, 4], 0.5, 2), input([3, 4], -1.5, 1.5)]);
  });
  it('maximum and minimum (no ties)', () => {
    const a = input([3, 4]);
    const b = apartFrom(a);
    check('maximum', (x, y) => x.maximum(y), [a, b]);
    check('minimum', (x, y) => x.minimum(y), [a, b]);
  });
});

describe('broadcasting binary ops', () => {
  it('[3,1] with [1,4]', () => {
    check('add [3,1]+[1,4]', (a, b) => a.add(b), [input([3, 1]), input([1, 4])]);
    check('sub [3,1]-[1,4]', (a, b) => a.sub(b), [input([3, 1]), input([1, 4])]);
    check('div [3,1]/[1,4]', (a, b) => a.div(b), [input([3, 1]), awayFromZero([1, 4])]);
    check('pow [3,1]^[1,4]', (a, b) => a.pow(b), [input([3, 1], 0.5, 2), input([1, 4])]);
  });
  it('[2,3,4] with [4] and with [3,1]', () => {
    check('mul [2,3,4]*[4]', (a, b) => a.mul(b), [input([2, 3, 4]), input([4])]);
    check('div [2,3,4]/[3,1]', (a, b) => a.div(b), [input([2, 3, 4]), awayFromZero([3, 1])]);
    const a = input([2, 3, 4]);
    const b = input([4]);
    b.data.set([5, -5, 5, -5]); // far from every entry of a: no ties
    check('maximum [2,3,4],[4]', (x, y) => maximum(x, y), [a, b]);
    check('minimum [2,3,4],[4]', (x, y) => minimum(x, y), [input([2, 3, 4]), f64([0.0123], [1])]);
  });
  it('a 0-d tensor operand and plain numbers', () => {
    check('0-d * matrix', (s, m) => s.mul(m), [f64([1.3], []), input([2, 3])]);
    check('matrix + 0-d', (m, s) => m.add(s), [input([2, 3]), f64([0.4], [])]);
    check('x + 2.5, x · −1.5, x − 0.3, x / 1.7', (x) => x.add(2.5).mul(-1.5).sub(0.3).div(1.7), [input([5])]);
    check('x^2.5 and 2^x', (x) => x.pow(2.5).add(pow(2, x)), [input([5], 0.5, 2)]);
  });
});

describe('elementwise unary ops', () => {
  it('neg, exp, log, sqrt, square, tanh, sigmoid', () => {
    check('neg', (x) => x.neg(), [input([7])]);
    check('exp', (x) => x.exp(), [input([7], -2, 2)]);
    check('log', (x) => x.log(), [input([7], 0.2, 3)]);
    check('sqrt', (x) => x.sqrt(), [input([7], 0.2, 3)]);
    check('square', (x) => x.square(), [input([7])]);
    check('tanh', (x) => x.tanh(), [input([7], -3, 3)]);
    check('sigmoid', (x) => x.sigmoid(), [input([7], -6, 6)]);
  });
  it('abs, relu and sign away from 0 (sign has zero gradient)', () => {
    check('abs', (x) => x.abs(), [awayFromZero([8])]);
    check('relu', (x) => x.relu(), [awayFromZero([8])]);
    check('sign', (x) => x.sign().add(x.mul(0)), [awayFromZero([8])]);
  });
  it('clamp on both sides, away from its bounds', () => {
    const x = f64([-1.2, -0.7, -0.2, 0.1, 0.35, 0.9, 1.4]);
    check('clamp(-0.5, 0.5)', (t) => t.clamp(-0.5, 0.5), [x]);
    check('clamp(min only)', (t) => t.clamp(0), [f64([-1, -0.3, 0.2, 0.8])]);
    check('clamp(max only)', (t) => t.clamp(null, 0), [f64([-1, -0.3, 0.2, 0.8])]);
  });
  it('where, broadcasting the condition and both branches', () => {
    const condition = tensor([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]]);
    check('where([3,4], [3,4], [4])', (a, b) => where(condition, a, b), [input([3, 4]), input([4])]);
    check('where(row mask [3,1], [3,4], 0-d)', (a, b) => where(tensor([[1], [0], [1]]), a, b), [input([3, 4]), f64([0.25], [])]);
  });
  it('clone and to(float64)', () => {
    check('clone', (x) => x.clone().mul(x), [input([2, 3])]);
    check('to(float64)', (x) => x.to('float64').square(), [input([2, 3])]);
  });
});

describe('reductions', () => {
  it('sum over everything, one dim, several dims, keepdim', () => {
    check('sum()', (x) => x.sum(), [input([2, 3, 4])]);
    check('sum(1)', (x) => x.sum(1), [input([2, 3, 4])]);
    check('sum(-1, keepdim)', (x) => x.sum(-1, true), [input([2, 3, 4])]);
    check('sum([0, 2])', (x) => x.sum([0, 2]), [input([2, 3, 4])]);
    check('sum([0, 2], keepdim)', (x) => x.sum([0, 2], true), [input([2, 3, 4])]);
  });
  it('mean likewise', () => {
    check('mean()', (x) => x.mean(), [input([2, 3, 4])]);
    check('mean(0)', (x) => x.mean(0), [input([2, 3, 4])]);
    check('mean([1, 2], keepdim)', (x) => x.mean([1, 2], true), [input([2, 3, 4])]);
  });
  it('max and min over everything and along dims (distinct values)', () => {
    check('max()', (x) => x.max(), [input([3, 4])]);
    check('min()', (x) => x.min(), [input([3, 4])]);
    check('max(1)', (x) => x.max(1), [input([3, 4])]);
    check('max(0, keepdim)', (x) => x.max(0, true), [input([3, 4])]);
    check('min(-1, keepdim)', (x) => x.min(-1, true), [input([2, 3, 4])]);
    check('min(1)', (x) => x.min(1), [input([2, 3, 4])]);
  });
  it('norm for p = 1, 2, 3, ∞, over everything and over dims', () => {
    for (const p of [1, 2, 3, Infinity]) {
      check(`norm(${p})`, (x) => x.norm(p), [awayFromZero([3, 4])]);
      check(`norm(${p}, 1)`, (x) => x.norm(p, 1), [awayFromZero([3, 4])]);
      check(`norm(${p}, [0, 2], keepdim)`, (x) => x.norm(p, [0, 2], true), [awayFromZero([2, 3, 4])]);
    }
  });
  it('logSumExp along each dim, with and without keepdim', () => {
    check('logSumExp(0)', (x) => x.logSumExp(0), [input([3, 4], -3, 3)]);
    check('logSumExp(1, keepdim)', (x) => x.logSumExp(1, true), [input([3, 4], -3, 3)]);
    check('logSumExp(-1) of [2,3,4]', (x) => x.logSumExp(-1), [input([2, 3, 4], -3, 3)]);
  });
});

describe('movement and indexing', () => {
  it('reshape, view, flatten, unsqueeze, squeeze', () => {
    check('reshape', (x) => x.reshape(4, 6).mul(x.reshape([4, 6])), [input([2, 3, 4])]);
    check('view(-1)', (x) => x.view(-1), [input([2, 3, 4])]);
    check('flatten(1)', (x) => x.flatten(1), [input([2, 3, 4])]);
    const spread = input([3, 2, 4]);
    check('unsqueeze(1), then broadcast', (x) => x.unsqueeze(1).mul(spread), [input([3, 4])]);
    check('squeeze()', (x) => x.squeeze(), [input([3, 1, 4, 1])]);
    check('squeeze(1)', (x) => x.squeeze(1), [input([3, 1, 4])]);
  });
  it('transpose, T, permute, expand', () => {
    check('transpose(0, 2)', (x) => x.transpose(0, 2), [input([2, 3, 4])]);
    check('T', (x) => x.T, [input([3, 4])]);
    check('permute(2, 0, 1)', (x) => x.permute(2, 0, 1), [input([2, 3, 4])]);
    check('expand [3,1] → [2,3,4]', (x) => x.expand(2, 3, 4), [input([3, 1])]);
    check('expand with -1', (x) => x.expand([-1, 5]), [input([3, 1])]);
  });
  it('slice, index, select, narrow', () => {
    check('slice(1, 3)', (x) => x.slice(1, 3), [input([4, 3])]);
    check('slice(-2)', (x) => x.slice(-2), [input([4, 3])]);
    check('index(2)', (x) => x.index(2), [input([4, 3])]);
    check('select(1, -1)', (x) => x.select(1, -1), [input([2, 3, 4])]);
    check('narrow(0, 1, 2)', (x) => x.narrow(0, 1, 2), [input([4, 3])]);
    check('narrow(1, 1, 2)', (x) => x.narrow(1, 1, 2), [input([2, 4, 3])]);
  });
  it('gather and indexSelect with repeated indices (gradients add up)', () => {
    const index = tensor([[0, 0, 2], [1, 3, 1], [3, 2, 0]]);
    check('gather(1)', (x) => x.gather(1, index), [input([3, 4])]);
    check('gather(0)', (x) => x.gather(0, tensor([[2, 0, 1, 2]])), [input([3, 4])]);
    check('indexSelect(0, [2, 0, 2])', (x) => x.indexSelect(0, [2, 0, 2]), [input([3, 4])]);
    check('indexSelect(1, Int32Array)', (x) => x.indexSelect(1, Int32Array.of(3, 3, 1)), [input([2, 4, 3])]);
  });
  it('cat and stack of several inputs', () => {
    check('cat dim 0', (a, b, c) => cat([a, b, c], 0), [input([2, 3]), input([1, 3]), input([3, 3])]);
    check('cat dim 1', (a, b) => cat([a, b], 1), [input([2, 3]), input([2, 1])]);
    check('cat same tensor twice', (a) => cat([a, a], 0), [input([2, 3])]);
    check('stack dim 0', (a, b) => stack([a, b]), [input([2, 3]), input([2, 3])]);
    check('stack dim -1', (a, b, c) => stack([a, b, c], -1), [input([2, 3]), input([2, 3]), input([2, 3])]);
  });
});

describe('matmul', () => {
  it('2-D', () => check('[3,4]@[4,2]', (a, b) => a.matmul(b), [input([3, 4]), input([4, 2])]));
  it('batched, with a broadcast batch dimension', () => {
    check('[2,3,4]@[4,5]', (a, b) => a.matmul(b), [input([2, 3, 4]), input([4, 5])]);
    check('[2,1,3,4]@[3,4,2]', (a, b) => a.matmul(b), [input([2, 1, 3, 4]), input([3, 4, 2])]);
    check('[3,4]@[2,4,5]', (a, b) => a.matmul(b), [input([3, 4]), input([2, 4, 5])]);
  });
  it('vector cases', () => {
    check('[4]@[4]', (a, b) => a.matmul(b), [input([4]), input([4])]);
    check('[3,4]@[4]', (a, b) => a.matmul(b), [input([3, 4]), input([4])]);
    check('[4]@[4,2]', (a, b) => a.matmul(b), [input([4]), input([4, 2])]);
    check('[4]@[2,4,3]', (a, b) => a.matmul(b), [input([4]), input([2, 4, 3])]);
    check('[2,3,4]@[4]', (a, b) => a.matmul(b), [input([2, 3, 4]), input([4])]);
  });
});

describe('functional ops', () => {
  it('relu, sigmoid, tanh, leakyRelu', () => {
    check('F.relu', (x) => F.relu(x), [awayFromZero([6])]);
    check('F.sigmoid', (x) => F.sigmoid(x), [input([6], -4, 4)]);
    check('F.tanh', (x) => F.tanh(x), [input([6], -4, 4)]);
    check('F.leakyRelu default slope', (x) => F.leakyRelu(x), [awayFromZero([6])]);
    check('F.leakyRelu slope 0.2', (x) => F.leakyRelu(x, 0.2), [awayFromZero([6])]);
  });
  it('gelu, exact and tanh-approximated, across the tails', () => {
    const x = f64([-7, -3.5, -1.2, -0.3, 0, 0.4, 1.1, 2.9, 6]);
    check('F.gelu', (t) => F.gelu(t), [x]);
    check("F.gelu approximate 'tanh'", (t) => F.gelu(t, { approximate: 'tanh' }), [f64([-7, -3.5, -1.2, -0.3, 0, 0.4, 1.1, 2.9, 6])]);
  });
  it('softmax and logSoftmax along each dim', () => {
    for (const dim of [0, 1, -1]) {
      check(`F.softmax dim ${dim}`, (x) => F.softmax(x, dim), [input([3, 4], -3, 3)]);
      check(`F.logSoftmax dim ${dim}`, (x) => F.logSoftmax(x, dim), [input([3, 4], -3, 3)]);
    }
    check('F.softmax of [2,3,4] dim 1', (x) => F.softmax(x, 1), [input([2, 3, 4], -3, 3)]);
    check('F.logSoftmax of [2,3,4] dim 1', (x) => F.logSoftmax(x, 1), [input([2, 3, 4], -3, 3)]);
  });
  it('crossEntropy with each reduction and with label smoothing', () => {
    const target = [2, 0, 3, 3, 1];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      check(`F.crossEntropy ${reduction}`, (x) => F.crossEntropy(x, target, { reduction }), [input([5, 4], -3, 3)]);
      check(`F.crossEntropy ${reduction} ε=0.1`, (x) => F.crossEntropy(x, target, { reduction, labelSmoothing: 0.1 }), [input([5, 4], -3, 3)]);
    }
  });
  it('nllLoss with each reduction (upstream of logSoftmax too)', () => {
    const target = tensor([1, 0, 2, 1]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      check(`F.nllLoss ${reduction}`, (x) => F.nllLoss(x, target, { reduction }), [input([4, 3])]);
    }
    check('F.nllLoss(F.logSoftmax)', (x) => F.nllLoss(F.logSoftmax(x, 1), target), [input([4, 3], -3, 3)]);
  });
  it('mseLoss in both arguments', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      check(`F.mseLoss ${reduction}`, (a, b) => F.mseLoss(a, b, { reduction }), [input([3, 4]), input([3, 4])]);
    }
  });
  it('binaryCrossEntropyWithLogits in logits and targets, with posWeight', () => {
    const logits = (): Tensor => input([3, 4], -6, 6);
    const targets = (): Tensor => input([3, 4], 0, 1);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      check(`F.bceWithLogits ${reduction}`, (x, y) => F.binaryCrossEntropyWithLogits(x, y, { reduction }), [logits(), targets()]);
    }
    check('F.bceWithLogits posWeight 3', (x, y) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: 3 }), [logits(), targets()]);
    const perClass = tensor([0.5, 1, 2, 4], undefined, { dtype: 'float64' });
    check('F.bceWithLogits posWeight [4]', (x, y) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: perClass }), [logits(), targets()]);
  });
  it('dropout with a fixed seed (the same mask in every evaluation)', () => {
    check('F.dropout p=0.3', (x) => F.dropout(x, 0.3, true, new Generator(7)), [input([4, 5])]);
  });
});

describe('layers', () => {
  it('Linear: weight, bias and input, for a batch and for batched sequences', () => {
    const layer = new Linear(3, 4, { dtype: 'float64', generator: new Generator(1) });
    const x = input([5, 3]);
    check('Linear [5,3]', () => layer.call(x), [layer.weight, layer.bias!, x]);
    const sequences = input([2, 5, 3]);
    check('Linear [2,5,3]', () => layer.call(sequences), [layer.weight, layer.bias!, sequences]);
    const noBias = new Linear(3, 2, { bias: false, dtype: 'float64', generator: new Generator(2) });
    check('Linear without bias', () => noBias.call(x), [noBias.weight, x]);
  });
  it('linear with a fused ReLU, and nn.Sequential(Linear, ReLU, Linear) that runs it', () => {
    const x = input([5, 3]);
    const weight = input([4, 3]);
    const bias = input([4]);
    // Away from the kink: every pre-activation is 100 steps h = 1e-6 from 0 or more (checked, not hoped).
    const pre = F.linear(x.detach(), weight.detach(), bias.detach());
    expect(Math.min(...Array.from(pre.data, Math.abs))).toBeGreaterThan(1e-4);
    expect(Array.from(pre.data).some((v) => v < 0) && Array.from(pre.data).some((v) => v > 0)).toBe(true);
    check('F.linear relu', (a, w, b) => F.linear(a, w, b, { activation: 'relu' }), [x, weight, bias]);
    check('F.linear relu without bias', (a, w) => F.linear(a, w, null, { activation: 'relu' }), [x, weight]);
    const model = new Sequential(new Linear(3, 4, { dtype: 'float64', generator: new Generator(3) }), new ReLU(), new Linear(4, 2, { dtype: 'float64', generator: new Generator(4) }));
    check('Sequential(Linear, ReLU, Linear)', () => model.call(x), [...model.parameters(), x]);
  });
  it('Embedding (dense): repeated rows add up, the padding row gets nothing', () => {
    const table = new Embedding(6, 3, { paddingIdx: 4, dtype: 'float64', generator: new Generator(3) });
    const indices = tensor([[1, 4, 1], [5, 0, 1]]);
    // The padding row is looked up but gets no gradient by design, which finite differences
    // cannot know: check that row on its own, and the rest on a table without padding.
    table.call(indices).sum().backward();
    const grad = table.weight.grad;
    if (!(grad instanceof Tensor)) throw new Error('expected a dense gradient');
    assertAllclose(grad.data.subarray(4 * 3, 5 * 3), [0, 0, 0], { rtol: 0, atol: 0 }, 'padding row gradient');
    const plain = new Embedding(6, 3, { dtype: 'float64', generator: new Generator(3) });
    // A lookup is linear in the table, so the difference quotient is exact up to rounding (~1e-10).
    check('Embedding dense', () => plain.call(indices), [plain.weight], { rtol: 1e-9, atol: 1e-9 });
  });
  it('Embedding (sparse) matches finite differences in float64', () => {
    const table = new Embedding(6, 3, { sparse: true, dtype: 'float64', generator: new Generator(3) });
    check('Embedding sparse', () => table.call([1, 4, 1, 5]), [table.weight], { rtol: 1e-9, atol: 1e-9 });
  });
});

describe('casts', () => {
  it('to(float64) from float32 sends a float32 gradient back: ∂Σ w·x/∂x = w', () => {
    const x = tensor([1.5, -2, 0.25], undefined, { requiresGrad: true });
    const y = x.to('float64');
    expect(y.dtype).toBe('float64');
    y.backward(tensor([0.1, 0.2, 0.3], undefined, { dtype: 'float64' }));
    const g = x.grad as Tensor;
    expect(g.dtype).toBe('float32');
    assertAllclose(g.data, [0.1, 0.2, 0.3], { rtol: 1e-7, atol: 0 }, 'cast gradient');
  });
  it('the check itself notices a wrong gradient', () => {
    const x = input([3]);
    const badSquare = (t: Tensor): Tensor => t.mul(t.detach()); // misses half of d(x²)/dx
    expect(() => gradcheck(badSquare, [x], tight, 'bad square')).toThrow(/bad square: input 0/);
  });
  it('scalar() stays float64 through ops when asked to', () => {
    const s = scalar(0.1, { dtype: 'float64', requiresGrad: true });
    check('0-d float64', (t) => t.mul(t).exp(), [s]);
  });
});

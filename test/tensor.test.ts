/**
 * The tensor engine's values, shapes, autograd bookkeeping and errors, against small
 * examples worked by hand in the comments. Gradients of every op are checked numerically in
 * gradcheck.test.ts; here the concern is everything else.
 */
import { describe, it, expect } from 'vitest';
import {
  Tensor,
  Generator,
  tensor,
  scalar,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  fullLike,
  arange,
  linspace,
  eye,
  rand,
  randn,
  randint,
  manualSeed,
  cat,
  stack,
  where,
  matmul,
  noGrad,
  enableGrad,
  isGradEnabled,
  broadcastShapes,
} from '../src/index.js';
import { assertAllclose } from './helpers/allclose.js';

const exact = { rtol: 0, atol: 0 };
const f32 = { rtol: 1e-6, atol: 1e-6 };

function gradOf(t: Tensor): Tensor {
  if (!(t.grad instanceof Tensor)) throw new Error('expected a dense gradient');
  return t.grad;
}

describe('creation', () => {
  it('tensor() from nested arrays, flat arrays with a shape, and typed arrays', () => {
    const nested = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(nested.shape).toEqual([2, 3]);
    expect(nested.dtype).toBe('float32');
    expect(nested.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor([1, 2, 3, 4, 5, 6], [3, -1]).shape).toEqual([3, 2]);
    const fromTyped = tensor(Float64Array.of(0.1, 0.2));
    expect(fromTyped.dtype).toBe('float64');
    expect(fromTyped.shape).toEqual([2]);
    expect(fromTyped.data[0]).toBe(0.1);
    expect(tensor([1, 2], undefined, { dtype: 'float64', requiresGrad: true }).requiresGrad).toBe(true);
  });
  it('scalar, full, zeros, ones and their *Like forms', () => {
    const s = scalar(2.5);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(2.5);
    expect(Array.from(full([2, 2], 7).data)).toEqual([7, 7, 7, 7]);
    expect(Array.from(zeros([3]).data)).toEqual([0, 0, 0]);
    expect(Array.from(ones([2]).data)).toEqual([1, 1]);
    const like = tensor([[1, 2]], undefined, { dtype: 'float64' });
    expect(zerosLike(like).dtype).toBe('float64');
    expect(onesLike(like).shape).toEqual([1, 2]);
    expect(Array.from(fullLike(like, -3).data)).toEqual([-3, -3]);
  });
  it('arange, linspace and eye', () => {
    expect(Array.from(arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(3, 0, -1).data)).toEqual([3, 2, 1]);
    expect(Array.from(linspace(0, 1, 5).data)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });
  it('rejects bad shapes, ragged arrays, and bad ranges', () => {
    expect(() => zeros([2, -1])).toThrow(/Invalid shape \[2, -1\]/);
    expect(() => zeros([1.5])).toThrow(/non-negative integers/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array at \[1\]/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/invalid for 3 elements/);
    expect(() => arange(0, 1, 0)).toThrow(/step must be non-zero/);
    expect(() => arange(0, 5, -1)).toThrow(/inconsistent/);
    expect(() => linspace(0, 1, -2)).toThrow(/steps must be a non-negative integer/);
    expect(() => randint(3, 3, [2])).toThrow(/low < high/);
    expect(() => scalar(1).reshape(2)).toThrow(/invalid for 1 elements/);
    expect(() => tensor([1, 2]).item()).toThrow(/one-element tensor/);
  });
});

describe('seeded randomness', () => {
  it('the same seed gives the same numbers', () => {
    manualSeed(42);
    const first = [rand([5]), randn([5]), randint(0, 10, [5])];
    manualSeed(42);
    const second = [rand([5]), randn([5]), randint(0, 10, [5])];
    first.forEach((t, i) => assertAllclose(t.data, second[i]!.data, exact, `draw ${i}`));
  });
  it('different seeds give different streams', () => {
    manualSeed(1);
    const a = rand([4]);
    manualSeed(2);
    const b = rand([4]);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
  });
  it('an explicit generator is independent of the default one', () => {
    const reference = randn([6], { generator: new Generator(9) });
    const g = new Generator(9);
    const firstHalf = randn([3], { generator: g });
    manualSeed(123);
    rand([100]); // default-generator draws in between must not disturb g
    const secondHalf = randn([3], { generator: g });
    assertAllclose([...firstHalf.data, ...secondHalf.data], reference.data, exact, 'explicit generator stream');
  });
  it('getState/setState replays a stream, spare normal included', () => {
    const g = new Generator(5);
    g.normal(); // leaves the second Box–Muller value cached
    const state = g.getState();
    const ahead = [g.normal(), g.uniform(), g.normal()];
    g.setState(JSON.parse(JSON.stringify(state)));
    expect([g.normal(), g.uniform(), g.normal()]).toEqual(ahead);
  });
  it('draws lie in their ranges', () => {
    const g = new Generator(3);
    const u = rand([1000], { generator: g });
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    const k = randint(-2, 3, [1000], { generator: g });
    expect(new Set(k.data)).toEqual(new Set([-2, -1, 0, 1, 2]));
    const n = randn([4000], { generator: g });
    const mean = n.mean().item();
    const std = Math.sqrt(n.sub(mean).square().mean().item());
    // mean has standard error 1/√4000 ≈ 0.016; allow 4 of them.
    expect(Math.abs(mean)).toBeLessThan(0.064);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
  });
  it('rejects non-finite and non-integer seeds', () => {
    expect(() => manualSeed(NaN)).toThrow(/Invalid seed: NaN/);
    expect(() => manualSeed(Infinity)).toThrow(/Invalid seed: Infinity/);
    expect(() => new Generator(1.5)).toThrow(/Invalid seed: 1.5/);
    expect(() => new Generator().setState({ s: [1, 2, 3] } as never)).toThrow(/Invalid generator state/);
  });
  it('refuses a state it could never reach (all-zero words, words over 32 bits, a NaN spare) and keeps its stream', () => {
    const g = new Generator(7);
    const state = g.getState();
    const twin = new Generator(7);
    // xoshiro's fixed point: all-zero words would return 0 forever.
    expect(() => g.setState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(/the four state words are all zero/);
    expect(() => g.setState({ s: [2 ** 32, 1, 2, 3], spareNormal: null })).toThrow(/4 integers of 32 bits/);
    expect(() => g.setState({ s: [-(2 ** 31) - 1, 1, 2, 3], spareNormal: null })).toThrow(/4 integers of 32 bits/);
    expect(() => g.setState({ ...state, spareNormal: Number.NaN })).toThrow(/spareNormal must be a finite number or null/);
    expect(g.getState()).toEqual(state);
    expect(g.uniform()).toBe(twin.uniform());
    // A word may be signed or unsigned, as the xor-shifts leave it: −1 and 2³² − 1 are the same word.
    const signed = new Generator().setState({ s: [-1, 1, 2, 3], spareNormal: null });
    const unsigned = new Generator().setState({ s: [2 ** 32 - 1, 1, 2, 3], spareNormal: null });
    expect(signed.nextUint32()).toBe(unsigned.nextUint32());
  });
});

describe('shapes and views', () => {
  const x = arange(6).reshape(2, 3); // [[0,1,2],[3,4,5]]
  it('reshape infers -1 and shares storage; view is the same', () => {
    const v = tensor([1, 2, 3, 4, 5, 6]).reshape(3, -1);
    expect(v.shape).toEqual([3, 2]);
    const base = arange(4);
    const viewed = base.view([2, 2]);
    viewed.data[3] = 40;
    expect(base.data[3]).toBe(40);
  });
  it('flatten, unsqueeze, squeeze', () => {
    const t = zeros([2, 3, 4]);
    expect(t.flatten().shape).toEqual([24]);
    expect(t.flatten(1).shape).toEqual([2, 12]);
    expect(t.flatten(0, 1).shape).toEqual([6, 4]);
    expect(t.unsqueeze(0).shape).toEqual([1, 2, 3, 4]);
    expect(t.unsqueeze(-1).shape).toEqual([2, 3, 4, 1]);
    expect(zeros([1, 3, 1]).squeeze().shape).toEqual([3]);
    expect(zeros([1, 3, 1]).squeeze(2).shape).toEqual([1, 3]);
    expect(zeros([2, 3]).squeeze(0).shape).toEqual([2, 3]); // size 2: nothing to squeeze
  });
  it('transpose, T and permute move values', () => {
    expect(x.T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.transpose(1, 0).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    // permute(2,0,1) of shape [1,2,3]: out[k][0][j] = x[0][j][k]
    expect(x.reshape(1, 2, 3).permute(2, 0, 1).toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });
  it('expand copies along size-1 and new leading dims', () => {
    expect(tensor([[1], [2]]).expand(2, 3).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(tensor([1, 2]).expand(2, 2).toArray()).toEqual([[1, 2], [1, 2]]);
    expect(() => tensor([1, 2]).expand(3)).toThrow(/cannot be/);
  });
  it('rejects invalid dims', () => {
    expect(() => x.sum(2)).toThrow(/dimension 2 is out of range for a tensor of rank 2/);
    expect(() => x.transpose(0, 5)).toThrow(/dimension 5 is out of range/);
    expect(() => x.unsqueeze(3)).toThrow(/dimension 3 is out of range/);
    expect(() => x.permute(0, 0)).toThrow(/repeat a dimension/);
    expect(() => x.permute(0)).toThrow(/got 1 dims for a tensor of rank 2/);
    expect(() => x.flatten(1, 0)).toThrow(/comes after/);
    expect(() => x.max(-3)).toThrow(/out of range/);
    expect(() => x.reshape(4)).toThrow(/shape \[4\] is invalid for 6 elements/);
    expect(() => x.reshape(-1, -1)).toThrow(/only one dimension can be -1/);
  });
});

describe('broadcasting', () => {
  it('[3,1] + [1,4] makes the addition table', () => {
    const rows = tensor([[0], [10], [20]]);
    const cols = tensor([[1, 2, 3, 4]]);
    expect(rows.add(cols).toArray()).toEqual([[1, 2, 3, 4], [11, 12, 13, 14], [21, 22, 23, 24]]);
  });
  it('trailing dims align: [2,3] * [3], and numbers act as 0-d tensors', () => {
    expect(tensor([[1, 2, 3], [4, 5, 6]]).mul(tensor([1, 0, -1])).toArray()).toEqual([[1, 0, -3], [4, 0, -6]]);
    expect(tensor([1, 2]).sub(1).toArray()).toEqual([0, 1]);
    expect(tensor([2, 4]).div(scalar(2)).toArray()).toEqual([1, 2]);
    expect(tensor([1, 2]).pow(2).toArray()).toEqual([1, 4]);
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
  });
  it('mixing float32 and float64 gives float64', () => {
    const y = tensor([1, 2]).add(tensor([0.5, 0.5], undefined, { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
  });
  it('where picks elementwise and never mixes in the branch not taken', () => {
    const c = tensor([1, 0, 1]);
    expect(where(c, tensor([1, 2, 3]), tensor([Infinity, -5, NaN])).toArray()).toEqual([1, -5, 3]);
  });
  it('rejects shapes that do not broadcast', () => {
    expect(() => zeros([2, 3]).add(zeros([2]))).toThrow(/add: shapes \[2, 3\] and \[2\] cannot be broadcast together/);
    expect(() => zeros([2, 3]).mul(zeros([4, 1, 2]))).toThrow(/mul: shapes/);
  });
  it('a number as the first operand keeps float64 precision', () => {
    const x = tensor([1], undefined, { dtype: 'float64' });
    expect(tensor([0.1], undefined, { dtype: 'float64' }).sub(x).data[0]).toBe(0.1 - 1);
  });
});

describe('reductions', () => {
  const x = tensor([[1, 5, 3], [4, 2, 6]]);
  it('sum and mean over all, one dim, several dims, with keepdim', () => {
    expect(x.sum().item()).toBe(21);
    expect(x.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(x.sum(1, true).toArray()).toEqual([[9], [12]]);
    expect(x.sum([0, 1]).shape).toEqual([]);
    expect(x.mean(1).toArray()).toEqual([3, 4]);
    expect(x.mean(0, true).shape).toEqual([1, 3]);
    expect(zeros([2, 3, 4]).sum([0, -1], true).shape).toEqual([1, 3, 1]);
  });
  it('max/min and argmax/argmin, over all and along a dim', () => {
    expect(x.max().item()).toBe(6);
    expect(x.min().item()).toBe(1);
    expect(x.max(1).toArray()).toEqual([5, 6]);
    expect(x.min(0, true).toArray()).toEqual([[1, 2, 3]]);
    expect(x.argmax().item()).toBe(5); // flat position of 6
    expect(x.argmax(1).toArray()).toEqual([1, 2]);
    expect(x.argmin(0).toArray()).toEqual([0, 1, 0]);
  });
  it('norm for p = 1, 2, 3, ∞ (v = [3, −4]: 7, 5, ∛91, 4)', () => {
    const v = tensor([3, -4]);
    assertAllclose([v.norm(1).item(), v.norm().item(), v.norm(3).item(), v.norm(Infinity).item()], [7, 5, Math.cbrt(91), 4], f32, 'norms');
    assertAllclose(x.norm(2, 1).data, [Math.sqrt(35), Math.sqrt(56)], f32, 'row norms');
    expect(() => v.norm(0)).toThrow(/p must be a positive number/);
  });
  it('logSumExp is exact for small inputs and does not overflow for large ones', () => {
    // log(e^0 + e^ln3) = log 4
    assertAllclose(tensor([0, Math.log(3)]).logSumExp(0).data, [Math.log(4)], f32, 'small');
    // log(2·e^1000) = 1000 + ln 2, while e^1000 alone overflows
    assertAllclose(tensor([1000, 1000], undefined, { dtype: 'float64' }).logSumExp(0).data, [1000 + Math.LN2], { rtol: 1e-15, atol: 0 }, 'large');
    expect(tensor([[1, 2], [3, 4]]).logSumExp(1, true).shape).toEqual([2, 1]);
  });
  it('norm(∞) splits the gradient between tied entries', () => {
    const v = tensor([1, -1, 0.5], undefined, { requiresGrad: true });
    v.norm(Infinity).backward();
    expect(gradOf(v).toArray()).toEqual([0.5, -0.5, 0]);
  });
  it('reductions reject empty inputs', () => {
    expect(() => zeros([0]).max()).toThrow(/cannot reduce an empty tensor/);
    expect(() => zeros([2, 0]).mean(1)).toThrow(/empty dimension/);
  });
  it('logSumExp of an all −∞ row is −∞', () => {
    expect(tensor([[-Infinity, -Infinity]]).logSumExp(1).data[0]).toBe(-Infinity);
  });
});

describe('indexing', () => {
  const x = arange(12).reshape(3, 4); // [[0..3],[4..7],[8..11]]
  it('slice is a view of rows, Python-style', () => {
    expect(x.slice(1, 3).toArray()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(x.slice(-1).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(x.slice(2, 10).shape).toEqual([1, 4]);
    const base = arange(4);
    base.slice(2).data[0] = 20;
    expect(base.data[2]).toBe(20);
  });
  it('index, select and narrow', () => {
    expect(x.index(1).toArray()).toEqual([4, 5, 6, 7]);
    expect(x.select(1, -1).toArray()).toEqual([3, 7, 11]);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(x.narrow(0, -2, 1).toArray()).toEqual([[4, 5, 6, 7]]);
  });
  it('gather picks x[i][index[i][j]] and indexSelect picks whole slices', () => {
    expect(x.gather(1, tensor([[3, 0], [1, 1], [2, 0]])).toArray()).toEqual([[3, 0], [5, 5], [10, 8]]);
    expect(x.gather(0, tensor([[2, 0, 1, 0]])).toArray()).toEqual([[8, 1, 6, 3]]);
    expect(x.indexSelect(0, [2, 0]).toArray()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3]]);
    expect(x.indexSelect(1, Int32Array.of(3, 3)).toArray()).toEqual([[3, 3], [7, 7], [11, 11]]);
  });
  it('rejects out-of-range and non-integer indices', () => {
    expect(() => x.index(3)).toThrow(/index 3 is out of range for dimension 0 of size 3/);
    expect(() => x.select(1, -5)).toThrow(/index -5 is out of range/);
    expect(() => x.narrow(1, 3, 2)).toThrow(/do not fit dimension 1 of size 4/);
    expect(() => x.gather(1, tensor([[4], [0], [0]]))).toThrow(/gather: index 4 is out of range for a dimension of size 4/);
    expect(() => x.gather(1, tensor([0, 1]))).toThrow(/rank 1 does not match input of rank 2/);
    expect(() => x.indexSelect(0, [0, 3])).toThrow(/indexSelect: index 3 is out of range/);
    expect(() => x.indexSelect(0, [0.5])).toThrow(/index 0.5 is out of range/);
    expect(() => x.indexSelect(0, [-1])).toThrow(/index -1 is out of range/);
  });
});

describe('cat and stack', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([[5, 6]]);
  it('cat joins along an existing dim', () => {
    expect(cat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(cat([a, tensor([[7], [8]])], 1).toArray()).toEqual([[1, 2, 7], [3, 4, 8]]);
  });
  it('stack joins along a new dim', () => {
    expect(stack([tensor([1, 2]), tensor([3, 4])]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
  });
  it('rejects mismatched shapes and empty lists', () => {
    expect(() => cat([a, b], 1)).toThrow(/cat: tensor 1 has shape \[1, 2\], which does not match \[2, 2\] outside dim 1/);
    expect(() => cat([a, tensor([1, 2])])).toThrow(/cat: tensor 1 has shape \[2\]/);
    expect(() => stack([a, b])).toThrow(/stack: tensor 1 has shape \[1, 2\], expected \[2, 2\]/);
    expect(() => cat([])).toThrow(/non-empty list/);
    expect(() => cat([a], 2)).toThrow(/dimension 2 is out of range/);
  });
});

describe('matmul', () => {
  it('2-D: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]', () => {
    // 1·5+2·7 = 19, 1·6+2·8 = 22, 3·5+4·7 = 43, 3·6+4·8 = 50
    expect(tensor([[1, 2], [3, 4]]).matmul(tensor([[5, 6], [7, 8]])).toArray()).toEqual([[19, 22], [43, 50]]);
  });
  it('vector cases drop the vector dim', () => {
    expect(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).toArray()).toBe(32); // 4+10+18
    expect(tensor([[1, 2], [3, 4]]).matmul(tensor([1, -1])).toArray()).toEqual([-1, -1]);
    expect(tensor([1, -1]).matmul(tensor([[1, 2], [3, 4]])).toArray()).toEqual([-2, -2]);
  });
  it('batched, with the batch dims broadcast', () => {
    const batch = stack([eye(2), tensor([[0, 1], [1, 0]])]); // [2,2,2]: identity and swap
    const m = tensor([[1, 2], [3, 4]]);
    expect(batch.matmul(m).toArray()).toEqual([[[1, 2], [3, 4]], [[3, 4], [1, 2]]]);
    expect(zeros([3, 1, 2, 5]).matmul(zeros([4, 5, 6])).shape).toEqual([3, 4, 2, 6]);
  });
  it('rejects inner-size mismatches and 0-d operands', () => {
    expect(() => zeros([2, 3]).matmul(zeros([2, 3]))).toThrow(/matmul: shapes \[2, 3\] and \[2, 3\] cannot be multiplied/);
    expect(() => zeros([3]).matmul(zeros([4]))).toThrow(/cannot be multiplied/);
    expect(() => scalar(1).matmul(zeros([1]))).toThrow(/at least one dimension/);
    expect(() => zeros([2, 2, 3]).matmul(zeros([3, 3, 1]))).toThrow(/cannot be broadcast/);
  });
});

describe('autograd bookkeeping', () => {
  it("replacing a tensor's data or gradient raises its watcher (what a fused optimizer plans by); values changed in place do not", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const watcher = { changed: false };
    x.watcher = watcher;
    x.data[0] = 5;
    x.mul(x).sum().backward(); // the first gradient of x: assigned
    expect(watcher.changed).toBe(true);
    watcher.changed = false;
    x.mul(x).sum().backward(); // added into the gradient x has
    gradOf(x).data[1] = 0;
    expect(watcher.changed).toBe(false);
    x.data = Float32Array.from([0, 0, 0]);
    expect(watcher.changed).toBe(true);
    watcher.changed = false;
    x.grad = null;
    expect(watcher.changed).toBe(true);
    expect(x.data).toEqual(Float32Array.from([0, 0, 0]));
  });
  it('gradients accumulate across two backward calls (new graphs)', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    x.mul(x).sum().backward(); // ∂Σx²/∂x = 2x = [2, 4, 6]
    x.mul(x).sum().backward(); // adds another 2x
    expect(gradOf(x).toArray()).toEqual([4, 8, 12]);
  });
  it('a tensor used twice gets both contributions: d(x·x + 3x)/dx = 2x + 3', () => {
    const x = tensor([1, -2], undefined, { requiresGrad: true });
    x.mul(x).add(x.mul(3)).sum().backward();
    expect(gradOf(x).toArray()).toEqual([5, -1]);
  });
  it('p.grad = t sets the gradient that the next backward adds to', () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    p.grad = tensor([10, 20]);
    p.mul(3).sum().backward();
    expect(gradOf(p).toArray()).toEqual([13, 23]);
    p.grad = null;
    p.mul(3).sum().backward();
    expect(gradOf(p).toArray()).toEqual([3, 3]);
  });
  it('the first gradient is a copy, not an alias of an upstream tensor', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const upstream = tensor([5, 6]);
    x.add(0).backward(upstream);
    gradOf(x).data[0] = 0;
    expect(upstream.data[0]).toBe(5);
  });
  it('assigning a gradient of the wrong shape is an error', () => {
    const p = zeros([3], { requiresGrad: true });
    expect(() => {
      p.grad = zeros([2]);
    }).toThrow(/shape/);
  });
  it('noGrad records nothing, restores the mode afterwards, even after a throw; enableGrad nests', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
  });
  it('detach shares storage and stops the gradient', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(x.data);
    // y = x·detach(x): only the first factor is differentiated, so dy/dx = detach(x) = x
    x.mul(x.detach()).sum().backward();
    expect(gradOf(x).toArray()).toEqual([1, 2]);
  });
  it('retainGraph allows a second backward; without it the graph is freed', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const loss = x.mul(x).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward(); // second pass through the retained graph: grad = 2·2x
    expect(gradOf(x).toArray()).toEqual([4, 8]);
    expect(() => loss.backward()).toThrow(/Trying to backward through the graph a second time/);
  });
  it('retainGrad keeps the gradient of an intermediate', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const h = x.mul(3).retainGrad();
    h.square().sum().backward(); // ∂Σh²/∂h = 2h = [6, 12]
    expect(gradOf(h).toArray()).toEqual([6, 12]);
    expect(gradOf(x).toArray()).toEqual([18, 36]);
  });
  it('backward errors: non-scalar without a gradient, wrong gradient shape, nothing to differentiate', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(/grad can be implicitly created only for scalar outputs; this tensor has shape \[2\]/);
    expect(() => x.mul(2).backward(tensor([1, 2, 3]))).toThrow(/gradient shape \[3\] does not match the tensor's shape \[2\]/);
    expect(() => tensor([1, 2]).sum().backward()).toThrow(/does not require grad/);
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(/only leaf tensors/);
  });
  it('a non-scalar output takes the upstream gradient: y = 2x, v = [1, 10] → grad = 2v', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    x.mul(2).backward(tensor([1, 10]));
    expect(gradOf(x).toArray()).toEqual([2, 20]);
  });
  it('ops on tensors that need no gradient record nothing', () => {
    const y = tensor([1, 2]).mul(tensor([3, 4]));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
});

describe('bad arguments', () => {
  it('clamp and norm check their bounds', () => {
    expect(() => tensor([1]).clamp(2, 1)).toThrow(/min 2 is greater than max 1/);
    expect(() => tensor([1]).clamp(NaN)).toThrow(/must not be NaN/);
    expect(() => tensor([1]).norm(-1)).toThrow(/p must be a positive number/);
  });
  it('binary ops reject non-numbers', () => {
    expect(() => tensor([1]).add('2' as never)).toThrow(/Expected a Tensor or a number, got string/);
  });
});

/**
 * Layers and the Module tree: parameter discovery and names, modes, gradients, checkpoints,
 * initialisation, and the functional ops' values (their gradients are in gradcheck.test.ts).
 */
import { describe, it, expect } from 'vitest';
import { Tensor, Generator, tensor, zeros, ones, randn, SparseRows } from '../src/index.js';
import * as F from '../src/nn/functional.js';
import {
  Module,
  ModuleList,
  Parameter,
  Linear,
  Embedding,
  Sequential,
  ReLU,
  LeakyReLU,
  Sigmoid,
  Tanh,
  GELU,
  Softmax,
  LogSoftmax,
  Flatten,
  Identity,
  Dropout,
  init,
  erf,
  erfc,
} from '../src/nn/index.js';
import { assertAllclose } from './helpers/allclose.js';

const exact = { rtol: 0, atol: 0 };
const f32 = { rtol: 1e-6, atol: 1e-6 };

function denseGrad(t: Tensor): Tensor {
  if (!(t.grad instanceof Tensor)) throw new Error('expected a dense gradient');
  return t.grad;
}

class Block extends Module {
  linear: Linear;
  scale = new Parameter(ones([1]));
  constructor(g: Generator) {
    super();
    this.linear = new Linear(3, 3, { generator: g });
  }
  forward(x: Tensor): Tensor {
    return this.linear.call(x).relu().mul(this.scale);
  }
}

class Net extends Module {
  embed: Embedding;
  layers: Sequential;
  head: Linear;
  notAParameter = tensor([1, 2], undefined, { requiresGrad: true });
  constructor(g = new Generator(0)) {
    super();
    this.embed = new Embedding(5, 3, { generator: g });
    this.layers = new Sequential(new Block(g), new Dropout(0.5, { generator: g }), new Block(g));
    this.head = new Linear(3, 2, { generator: g });
  }
  forward(indices: number[]): Tensor {
    return this.head.call(this.layers.call(this.embed.call(indices)));
  }
}

describe('Module: discovery and names', () => {
  it('finds parameters in fields, with dotted names, own parameters before children', () => {
    const names = new Net().namedParameters().map(([n]) => n);
    expect(names).toEqual([
      'embed.weight',
      'layers.0.scale',
      'layers.0.linear.weight',
      'layers.0.linear.bias',
      'layers.2.scale',
      'layers.2.linear.weight',
      'layers.2.linear.bias',
      'head.weight',
      'head.bias',
    ]);
    expect(new Net().parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
  });
  it('children, namedChildren, modules', () => {
    const net = new Net();
    expect(net.namedChildren().map(([n]) => n)).toEqual(['embed', 'layers', 'head']);
    expect(net.children()[1]).toBe(net.layers);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'embed', 'layers', 'layers.0', 'layers.0.linear', 'layers.1', 'layers.2', 'layers.2.linear', 'head']);
    expect(net.modules()[0]).toBe(net);
  });
  it('a shared parameter or module is listed once, under its first name', () => {
    class Tied extends Module {
      encoder = new Linear(2, 2, { generator: new Generator(1) });
      decoder = this.encoder;
      forward(x: Tensor): Tensor {
        return this.decoder.call(this.encoder.call(x));
      }
    }
    expect(new Tied().namedParameters().map(([n]) => n)).toEqual(['encoder.weight', 'encoder.bias']);
  });
  it('a plain array of modules is rejected with a hint', () => {
    class Bad extends Module {
      layers = [new Linear(1, 1), new Linear(1, 1)];
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new Bad().parameters()).toThrow(/field 'layers' is a plain array.*ModuleList/);
  });
  it('ModuleList names its modules 0, 1, … and iterates over them', () => {
    class Stack extends Module {
      blocks = new ModuleList([new Linear(2, 2), new Linear(2, 2)]);
      forward(x: Tensor): Tensor {
        for (const b of this.blocks) x = b.call(x);
        return x;
      }
    }
    const s = new Stack();
    expect(s.namedParameters().map(([n]) => n)).toEqual(['blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias']);
    expect(s.blocks.length).toBe(2);
    expect(s.blocks.at(-1)).toBe(s.blocks.at(1));
    expect(() => s.blocks.at(2)).toThrow(/index 2 is out of range for 2 modules/);
    expect(() => s.blocks.call()).toThrow(/ModuleList has no forward/);
  });
  it('registerParameter and registerModule validate their arguments', () => {
    class Empty extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Empty();
    m.registerParameter('w', new Parameter(zeros([2])));
    m.registerModule('sub', new Identity());
    expect(m.namedParameters().map(([n]) => n)).toEqual(['w']);
    expect(m.namedChildren().map(([n]) => n)).toEqual(['sub']);
    expect(() => m.registerParameter('a.b', new Parameter(zeros([1])))).toThrow(/without '\.'/);
    expect(() => m.registerParameter('t', zeros([1]) as Parameter)).toThrow(/must be a Parameter/);
    expect(() => m.registerModule('training', new Identity())).toThrow(/already an attribute/);
  });
  it('Parameter shares the wrapped storage and is a leaf', () => {
    const t = tensor([1, 2]);
    const p = new Parameter(t);
    expect(p.data).toBe(t.data);
    expect(p.isLeaf).toBe(true);
    expect(new Parameter(t, { requiresGrad: false }).requiresGrad).toBe(false);
  });
  it('prints its structure', () => {
    const s = new Sequential(new Linear(4, 2), new ReLU());
    expect(s.toString()).toBe('Sequential(\n  (0): Linear(inFeatures=4, outFeatures=2, bias=true)\n  (1): ReLU()\n)');
  });
});

describe('Module: modes and gradients', () => {
  it('train/eval set the mode on every module and switch dropout on and off', () => {
    const net = new Net().eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const dropout = net.layers.at(1) as Dropout;
    const x = ones([4, 8]);
    expect(dropout.call(x)).toBe(x); // identity in evaluation mode
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    const y = dropout.call(x);
    // p = 0.5: each entry is either dropped (0) or kept and scaled by 1/(1 − p) = 2
    expect(new Set(y.data)).toEqual(new Set([0, 2]));
  });
  it('zeroGrad sets gradients to null, or to zeros in place', () => {
    const net = new Net();
    net.call([0, 3]).sum().backward();
    const weight = net.head.weight;
    const storage = denseGrad(weight).data;
    net.zeroGrad({ setToNone: false });
    expect(weight.grad).not.toBeNull();
    expect(denseGrad(weight).data).toBe(storage);
    expect(Array.from(storage).every((v) => v === 0)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
  it('zeroGrad({ setToNone: false }) leaves an empty row set for a sparse gradient', () => {
    const table = new Embedding(4, 2, { sparse: true });
    table.call([1, 1]).sum().backward();
    table.zeroGrad({ setToNone: false });
    const g = table.weight.grad as SparseRows;
    expect(g).toBeInstanceOf(SparseRows);
    expect(g.indices.length).toBe(0);
    expect(Array.from(g.toDense().data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('Module: state dict', () => {
  it('round-trips through JSON into a differently initialised model', () => {
    const a = new Net(new Generator(1));
    const b = new Net(new Generator(2));
    const before = b.head.weight.data;
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.head.weight.data).toBe(before); // loaded in place
    for (const [[name, pa], [, pb]] of a.namedParameters().map((e, i) => [e, b.namedParameters()[i]!] as const)) {
      assertAllclose(pb.data, pa.data, exact, name);
    }
    expect(Object.keys(a.stateDict())).toEqual(a.namedParameters().map(([n]) => n));
    expect(a.stateDict()['head.bias']!.shape).toEqual([2]);
  });
  it('rejects missing, unexpected, mis-shaped and non-numeric entries, changing nothing', () => {
    const net = new Net(new Generator(3));
    const snapshot = JSON.stringify(net.stateDict());
    const good = new Net(new Generator(4)).stateDict();
    const cases: Array<[string, (sd: Record<string, { shape: number[]; data: unknown[] }>) => void, RegExp]> = [
      ['missing', (sd) => delete sd['head.bias'], /missing keys: head\.bias/],
      ['unexpected', (sd) => (sd['head.extra'] = { shape: [1], data: [0] }), /unexpected keys: head\.extra/],
      ['shape', (sd) => (sd['head.weight'] = { shape: [3, 2], data: new Array(6).fill(0) }), /'head\.weight': shape \[3, 2\] does not match the parameter's shape \[2, 3\]/],
      ['length', (sd) => (sd['head.bias']!.data = [1]), /'head\.bias': data has 1 values, shape \[2\] needs 2/],
      ['value', (sd) => (sd['head.bias']!.data = [1, 'x']), /'head\.bias': data\[1\] is "x", not a number/],
    ];
    for (const [what, damage, message] of cases) {
      const sd = structuredClone(good) as unknown as Record<string, { shape: number[]; data: unknown[] }>;
      damage(sd);
      expect(() => net.loadStateDict(sd as never), what).toThrow(message);
      expect(JSON.stringify(net.stateDict()), `${what} left the model unchanged`).toBe(snapshot);
    }
    expect(() => net.loadStateDict(null as never)).toThrow(/expected an object/);
  });
  it('non-strict loading reports missing and unexpected names', () => {
    const net = new Sequential(new Linear(2, 2), new Linear(2, 1));
    const partial = { '0.weight': { shape: [2, 2], data: [1, 2, 3, 4] }, other: { shape: [1], data: [0] } };
    const result = net.loadStateDict(partial as never, { strict: false });
    expect(result).toEqual({ missingKeys: ['0.bias', '1.weight', '1.bias'], unexpectedKeys: ['other'] });
    expect(Array.from((net.at(0) as Linear).weight.data)).toEqual([1, 2, 3, 4]);
  });
});

describe('Linear', () => {
  it('has PyTorch-shaped parameters and output: y = x·Wᵀ + b', () => {
    const layer = new Linear(3, 2, { generator: new Generator(0) });
    expect(layer.weight.shape).toEqual([2, 3]);
    expect(layer.bias!.shape).toEqual([2]);
    layer.weight.data.set([1, 2, 3, 0, -1, 1]);
    layer.bias!.data.set([0.5, -0.5]);
    // row [1, 1, 1]: [1+2+3+0.5, 0−1+1−0.5] = [6.5, −0.5]
    const y = layer.call(tensor([[1, 1, 1], [0, 0, 2]]));
    expect(y.toArray()).toEqual([[6.5, -0.5], [6.5, 1.5]]);
    expect(layer.call(zeros([4, 5, 3])).shape).toEqual([4, 5, 2]);
    expect(layer.call(zeros([3])).shape).toEqual([2]);
  });
  it('initialises W and b in U(−1/√fanIn, 1/√fanIn), spread across the interval', () => {
    const layer = new Linear(16, 64, { generator: new Generator(5) });
    const bound = 1 / Math.sqrt(16);
    for (const p of [layer.weight, layer.bias!]) {
      expect(Math.max(...p.data)).toBeLessThanOrEqual(bound);
      expect(Math.min(...p.data)).toBeGreaterThanOrEqual(-bound);
    }
    // 1024 uniform draws: the extremes land within 2% of the bounds almost surely.
    expect(Math.max(...layer.weight.data)).toBeGreaterThan(0.98 * bound);
    expect(Math.min(...layer.weight.data)).toBeLessThan(-0.98 * bound);
  });
  it('is reproducible from its generator, and bias: false has no bias', () => {
    const a = new Linear(4, 3, { generator: new Generator(9) });
    const b = new Linear(4, 3, { generator: new Generator(9) });
    assertAllclose(a.weight.data, b.weight.data, exact, 'same seed');
    const noBias = new Linear(4, 3, { bias: false });
    expect(noBias.bias).toBeNull();
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });
  it('rejects bad sizes and inputs', () => {
    expect(() => new Linear(2.5, 3)).toThrow(/inFeatures must be a non-negative integer, got 2.5/);
    expect(() => new Linear(2, -1)).toThrow(/outFeatures/);
    expect(() => new Linear(3, 2).call(zeros([4, 5]))).toThrow(/input of shape \[4, 5\] does not end in 3 features/);
  });
});

describe('Embedding', () => {
  it('gathers rows: indices of shape S give [...S, dim]', () => {
    const table = new Embedding(4, 2, { generator: new Generator(0) });
    table.weight.data.set([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(table.call([2, 0]).toArray()).toEqual([[2, 2], [0, 0]]);
    expect(table.call(tensor([[1, 3], [3, 3]])).shape).toEqual([2, 2, 2]);
    expect(table.call(Int32Array.of(1)).toArray()).toEqual([[1, 1]]);
  });
  it('initialises from N(0, 1) and zeroes the padding row', () => {
    const table = new Embedding(200, 20, { paddingIdx: -1, generator: new Generator(1) });
    expect(table.paddingIdx).toBe(199);
    expect(Array.from(table.weight.data.subarray(199 * 20))).toEqual(new Array(20).fill(0));
    const values = Array.from(table.weight.data.subarray(0, 199 * 20));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    // 3980 draws: standard error of the mean ≈ 0.016, of the variance ≈ 0.022
    expect(Math.abs(mean)).toBeLessThan(0.07);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
  });
  it('sparse: indices are the looked-up rows (repeats kept) and values the upstream rows; toDense equals the dense gradient', () => {
    const indices = [3, 1, 3, 0];
    const upstream = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const dense = new Embedding(5, 2, { generator: new Generator(2) });
    const sparse = new Embedding(5, 2, { sparse: true, generator: new Generator(2) });
    dense.call(indices).backward(upstream);
    sparse.call(indices).backward(upstream);
    const g = sparse.weight.grad as SparseRows;
    expect(g).toBeInstanceOf(SparseRows);
    expect(Array.from(g.indices)).toEqual(indices);
    assertAllclose(g.values.data, upstream.data, exact, 'sparse values');
    // row 3 collects rows 0 and 2 of upstream: [1+5, 2+6]
    expect(denseGrad(dense.weight).toArray()).toEqual([[7, 8], [3, 4], [0, 0], [6, 8], [0, 0]]);
    assertAllclose(g.toDense().data, denseGrad(dense.weight).data, exact, 'toDense');
  });
  it('two sparse backward passes concatenate their rows', () => {
    const table = new Embedding(3, 1, { sparse: true });
    table.call([0]).sum().backward();
    table.call([2, 0]).sum().backward();
    const g = table.weight.grad as SparseRows;
    expect(Array.from(g.indices)).toEqual([0, 2, 0]);
    expect(Array.from(g.toDense().data)).toEqual([2, 0, 1]);
  });
  it('the padding row gets no gradient, dense or sparse', () => {
    const dense = new Embedding(3, 1, { paddingIdx: 1 });
    dense.call([1, 2, 1]).sum().backward();
    expect(Array.from(denseGrad(dense.weight).data)).toEqual([0, 0, 1]);
    const sparse = new Embedding(3, 1, { paddingIdx: 1, sparse: true });
    sparse.call([1, 2, 1]).sum().backward();
    expect(Array.from((sparse.weight.grad as SparseRows).indices)).toEqual([2]);
  });
  it('rejects bad sizes, padding indices and lookups', () => {
    expect(() => new Embedding(-1, 2)).toThrow(/numEmbeddings must be a non-negative integer/);
    expect(() => new Embedding(3, 2, { paddingIdx: 3 })).toThrow(/paddingIdx 3 must be an integer in \[-3, 3\)/);
    expect(() => new Embedding(3, 2).call([0, 3])).toThrow(/index 3 at position 1 is out of range \[0, 3\)/);
    expect(() => new Embedding(3, 2).call([1.5])).toThrow(/index 1.5/);
  });
});

describe('Sequential and activation layers', () => {
  it('applies its modules in order, named 0, 1, …', () => {
    const model = new Sequential(new Linear(2, 3, { generator: new Generator(0) }), new ReLU(), new Linear(3, 1, { generator: new Generator(1) }));
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(model.length).toBe(3);
    const x = randn([5, 2], { generator: new Generator(2) });
    const byHand = (model.at(2) as Linear).call((model.at(0) as Linear).call(x).relu());
    assertAllclose(model.call(x).data, byHand.data, exact, 'Sequential = composition');
    model.append(new Sigmoid());
    expect(model.at(-1)).toBeInstanceOf(Sigmoid);
    expect(() => model.at(4)).toThrow(/index 4 is out of range for 4 modules/);
  });
  it('activation layers compute their functions', () => {
    const x = tensor([[-2, 0.5], [1, -0.25]]);
    expect(new ReLU().call(x).toArray()).toEqual([[0, 0.5], [1, 0]]);
    assertAllclose(new LeakyReLU(0.1).call(x).data, [-0.2, 0.5, 1, -0.025], f32, 'LeakyReLU');
    assertAllclose(new Sigmoid().call(x).data, [-2, 0.5, 1, -0.25].map((v) => 1 / (1 + Math.exp(-v))), f32, 'Sigmoid');
    assertAllclose(new Tanh().call(x).data, [-2, 0.5, 1, -0.25].map(Math.tanh), f32, 'Tanh');
    assertAllclose(new Softmax(1).call(x).sum(1).data, [1, 1], f32, 'Softmax rows sum to 1');
    assertAllclose(new LogSoftmax(0).call(x).exp().sum(0).data, [1, 1], f32, 'LogSoftmax columns');
    expect(new Flatten().call(zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(new Identity().call(x)).toBe(x);
    expect(() => new LeakyReLU(NaN)).toThrow(/negativeSlope must be a finite number/);
    expect(() => new GELU({ approximate: 'fast' as never })).toThrow(/approximate must be 'none' or 'tanh'/);
    expect(() => new Dropout(1.5)).toThrow(/p must be in \[0, 1\], got 1.5/);
  });
});

describe('functional values', () => {
  it('erf and erfc match reference values to 1e-15 (Python math.erf)', () => {
    assertAllclose([erf(0.5), erf(1), erf(2), erf(-1)], [0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.8427007929497149], { rtol: 1e-15, atol: 1e-16 }, 'erf');
    // In the tail erfc keeps relative accuracy although 1 − erf would round to 0 or 1.
    assertAllclose([erfc(3), erfc(5), erfc(-1)], [2.2090496998585438e-5, 1.5374597944280351e-12, 1.842700792949715], { rtol: 1e-13, atol: 0 }, 'erfc');
  });
  it('gelu: x·Φ(x) at hand-checked points; the tanh form is within 1e-3 of it', () => {
    // Φ(1) = (1 + erf(1/√2))/2 = 0.8413447460685429; Φ(−1) = 0.15865525393145707
    const x = tensor([-1, 0, 1, 3], undefined, { dtype: 'float64' });
    assertAllclose(F.gelu(x).data, [-0.15865525393145707, 0, 0.8413447460685429, 3 * 0.9986501019683699], { rtol: 1e-14, atol: 1e-16 }, 'gelu');
    assertAllclose(F.gelu(x, { approximate: 'tanh' }).data, F.gelu(x).data, { rtol: 0, atol: 1e-3 }, 'gelu tanh');
    expect(() => F.gelu(x, { approximate: 'erf' as never })).toThrow(/approximate must be 'none' or 'tanh', got "erf"/);
  });
  it('softmax and logSoftmax: [0, ln 2, ln 3] → [1, 2, 3]/6, stable at 1000', () => {
    const x = tensor([[0, Math.log(2), Math.log(3)]], undefined, { dtype: 'float64' });
    assertAllclose(F.softmax(x, 1).data, [1 / 6, 2 / 6, 3 / 6], { rtol: 1e-14, atol: 0 }, 'softmax');
    assertAllclose(F.logSoftmax(x, -1).data, [Math.log(1 / 6), Math.log(2 / 6), Math.log(3 / 6)], { rtol: 1e-14, atol: 0 }, 'logSoftmax');
    const huge = tensor([[1000, 1000]]);
    assertAllclose(F.softmax(huge, 1).data, [0.5, 0.5], f32, 'softmax huge');
    assertAllclose(F.logSoftmax(huge, 1).data, [-Math.LN2, -Math.LN2], f32, 'logSoftmax huge');
  });
  it('crossEntropy: −log softmax at the target, reduced; equals nllLoss(logSoftmax)', () => {
    // row 0: logits [0, ln 2, ln 3], target 2 → −log(3/6) = ln 2; row 1: [0, 0, 0], target 0 → ln 3
    const logits = tensor([[0, Math.log(2), Math.log(3)], [0, 0, 0]], undefined, { dtype: 'float64' });
    const tight = { rtol: 1e-14, atol: 1e-15 };
    assertAllclose(F.crossEntropy(logits, [2, 0], { reduction: 'none' }).data, [Math.LN2, Math.log(3)], tight, 'none');
    assertAllclose(F.crossEntropy(logits, tensor([2, 0])).data, [(Math.LN2 + Math.log(3)) / 2], tight, 'mean');
    assertAllclose(F.crossEntropy(logits, Int32Array.of(2, 0), { reduction: 'sum' }).data, [Math.LN2 + Math.log(3)], tight, 'sum');
    assertAllclose(F.crossEntropy(logits, [2, 0]).data, F.nllLoss(F.logSoftmax(logits, 1), [2, 0]).data, tight, 'nll∘logSoftmax');
    // huge logits stay finite: [1000, 0] with target 1 costs 1000
    assertAllclose(F.crossEntropy(tensor([[1000, 0]]), [1]).data, [1000], f32, 'huge');
  });
  it('crossEntropy with label smoothing ε mixes in the uniform target: (1−ε)·CE + ε·mean_c(−log p_c)', () => {
    const logits = tensor([[0, Math.log(2), Math.log(3)]], undefined, { dtype: 'float64' });
    const logP = [Math.log(1 / 6), Math.log(2 / 6), Math.log(3 / 6)];
    const expected = 0.8 * -logP[2]! + 0.2 * -(logP[0]! + logP[1]! + logP[2]!) / 3;
    assertAllclose(F.crossEntropy(logits, [2], { labelSmoothing: 0.2 }).data, [expected], { rtol: 1e-14, atol: 0 }, 'smoothed');
  });
  it('crossEntropy gradient is (softmax − onehot)/N for the mean', () => {
    const logits = tensor([[0, Math.log(2), Math.log(3)], [0, 0, 0]], undefined, { dtype: 'float64', requiresGrad: true });
    F.crossEntropy(logits, [2, 0]).backward();
    const expected = [1 / 6, 2 / 6, 3 / 6 - 1, 1 / 3 - 1, 1 / 3, 1 / 3].map((v) => v / 2);
    assertAllclose(denseGrad(logits).data, expected, { rtol: 1e-14, atol: 1e-16 }, 'softmax − onehot');
  });
  it('losses reject bad targets, shapes and reductions', () => {
    const logits = zeros([2, 3]);
    expect(() => F.crossEntropy(logits, [0, 3])).toThrow(/crossEntropy: target 3 at position 1 is not a class index in \[0, 3\)/);
    expect(() => F.crossEntropy(logits, [0, -1])).toThrow(/target -1/);
    expect(() => F.crossEntropy(logits, [0.5, 1])).toThrow(/target 0.5/);
    expect(() => F.crossEntropy(logits, [0])).toThrow(/target has 1 entries but the input has 2 rows/);
    expect(() => F.crossEntropy(logits, zeros([2, 3]))).toThrow(/1-D list of 2 class indices, got a tensor of shape \[2, 3\]/);
    expect(() => F.crossEntropy(zeros([3]), [0])).toThrow(/expected logits of shape \[N, C\], got \[3\]/);
    expect(() => F.crossEntropy(logits, [0, 1], { reduction: 'avg' as never })).toThrow(/reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => F.crossEntropy(logits, [0, 1], { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\], got 1.5/);
    expect(() => F.nllLoss(logits, [5, 0])).toThrow(/nllLoss: target 5/);
    expect(() => F.mseLoss(zeros([2, 3]), zeros([3]))).toThrow(/mseLoss: input shape \[2, 3\] and target shape \[3\] differ/);
    expect(() => F.mseLoss(zeros([2]), zeros([2]), { reduction: 'max' as never })).toThrow(/mseLoss: reduction/);
    expect(() => F.binaryCrossEntropyWithLogits(zeros([2]), zeros([3]))).toThrow(/logits shape \[2\] and targets shape \[3\] differ/);
    expect(() => F.binaryCrossEntropyWithLogits(zeros([2, 3]), zeros([2, 3]), { posWeight: zeros([2]) })).toThrow(/posWeight of shape \[2\] does not broadcast/);
  });
  it('mseLoss: mean, sum and elementwise squared errors', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([1, 0, 6]);
    expect(F.mseLoss(a, b, { reduction: 'none' }).toArray()).toEqual([0, 4, 9]);
    expect(F.mseLoss(a, b, { reduction: 'sum' }).item()).toBe(13);
    assertAllclose([F.mseLoss(a, b).item()], [13 / 3], f32, 'mean');
  });
  it('binaryCrossEntropyWithLogits equals −[w·y·log σ(x) + (1−y)·log(1−σ(x))] and stays finite at ±100', () => {
    const x = [-2, 0.5, 3];
    const y = [0, 1, 0.25];
    const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
    const byDefinition = (w: number) => x.map((v, i) => -(w * y[i]! * Math.log(sigma(v)) + (1 - y[i]!) * Math.log(1 - sigma(v))));
    const logits = tensor(x, undefined, { dtype: 'float64' });
    const targets = tensor(y, undefined, { dtype: 'float64' });
    const tight = { rtol: 1e-13, atol: 1e-15 };
    assertAllclose(F.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none' }).data, byDefinition(1), tight, 'w = 1');
    assertAllclose(F.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none', posWeight: 2.5 }).data, byDefinition(2.5), tight, 'w = 2.5');
    // x = 100 with y = 0 costs softplus(100) ≈ 100, x = −100 with y = 1 likewise; the naive form gives log(0).
    const extreme = F.binaryCrossEntropyWithLogits(tensor([100, -100]), tensor([0, 1]), { reduction: 'none' });
    assertAllclose(extreme.data, [100, 100], f32, 'extremes');
  });
  it('dropout: p = 0 and eval are the identity, p = 1 zeroes, the same seed gives the same mask', () => {
    const x = ones([1000]);
    expect(F.dropout(x, 0)).toBe(x);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(Array.from(new Set(F.dropout(x, 1).data))).toEqual([0]);
    const a = F.dropout(x, 0.3, true, new Generator(11));
    const b = F.dropout(x, 0.3, true, new Generator(11));
    assertAllclose(a.data, b.data, exact, 'same seed');
    // Inverted dropout keeps the expectation: mean ≈ 1 (kept fraction 0.7 ± 0.015, times 1/0.7).
    expect(Math.abs(a.mean().item() - 1)).toBeLessThan(0.07);
    expect(() => F.dropout(x, -0.1)).toThrow(/probability p must be in \[0, 1\], got -0.1/);
  });
});

describe('init', () => {
  it('calculateGain follows PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(() => init.calculateGain('swish' as never)).toThrow(/unsupported nonlinearity "swish"/);
  });
  it('fans of [out, in, k, k] are in·k² and out·k²', () => {
    expect(init.computeFans(zeros([8, 4, 3, 3]))).toEqual({ fanIn: 36, fanOut: 72 });
    expect(() => init.computeFans(zeros([5]))).toThrow(/at least 2 dimensions, got shape \[5\]/);
  });
  it('uniform and normal initialisers draw within their bounds and scales', () => {
    const g = new Generator(4);
    const w = zeros([100, 50]);
    const xavierBound = Math.sqrt(6 / 150);
    init.xavierUniform_(w, { generator: g });
    expect(Math.max(...w.data)).toBeLessThanOrEqual(xavierBound);
    expect(Math.min(...w.data)).toBeGreaterThanOrEqual(-xavierBound);
    const kaimingBound = Math.SQRT2 * Math.sqrt(3 / 50); // relu gain, fanIn 50
    init.kaimingUniform_(w, { nonlinearity: 'relu', generator: g });
    expect(Math.max(...w.data)).toBeLessThanOrEqual(kaimingBound);
    expect(Math.max(...w.data)).toBeGreaterThan(0.98 * kaimingBound);
    const std = (t: Tensor): number => Math.sqrt(t.square().mean().item() - t.mean().item() ** 2);
    init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu', generator: g });
    // 5000 draws: the sample std is within ~1% of Math.SQRT2/√100 = 0.1414; allow 5%
    expect(Math.abs(std(w) / (Math.SQRT2 / 10) - 1)).toBeLessThan(0.05);
    init.xavierNormal_(w, { gain: 2, generator: g });
    expect(Math.abs(std(w) / (2 * Math.sqrt(2 / 150)) - 1)).toBeLessThan(0.05);
    init.normal_(w, { mean: 3, std: 0.5, generator: g });
    expect(Math.abs(w.mean().item() - 3)).toBeLessThan(0.05);
    init.uniform_(w, { a: 2, b: 3, generator: g });
    expect(Math.min(...w.data)).toBeGreaterThanOrEqual(2);
  });
  it('constant, zeros, ones; same generator seed gives the same draws', () => {
    expect(Array.from(init.constant_(zeros([2]), 7).data)).toEqual([7, 7]);
    expect(Array.from(init.ones_(zeros([2])).data)).toEqual([1, 1]);
    expect(Array.from(init.zeros_(ones([2])).data)).toEqual([0, 0]);
    const a = init.kaimingUniform_(zeros([3, 3]), { generator: new Generator(8) });
    const b = init.kaimingUniform_(zeros([3, 3]), { generator: new Generator(8) });
    assertAllclose(a.data, b.data, exact, 'same seed');
  });
  it('rejects bad options', () => {
    expect(() => init.kaimingUniform_(zeros([2, 2]), { mode: 'fan_in' as never })).toThrow(/mode must be 'fanIn' or 'fanOut', got "fan_in"/);
    expect(() => init.uniform_(zeros([2]), { a: 1, b: 0 })).toThrow(/a \(1\) must not exceed b \(0\)/);
    expect(() => init.normal_(zeros([2]), { std: -1 })).toThrow(/std must be non-negative/);
    expect(() => init.xavierUniform_(zeros([2, 2]), { gain: NaN })).toThrow(/gain must be a finite number/);
  });
});

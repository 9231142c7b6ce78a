/**
 * `descent/tfjs`: a descent optimizer trains TensorFlow.js models to the same weights as descent
 * does natively on the same model, data and batches (float32 on both sides, tfjs computing the
 * gradients: they agree to a few 1e-7 per step; 1e-5 over a few steps leaves room for that and
 * nothing else: a wrong learning rate, decay or bias correction moves weights by 1e-3 or more).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Tensor, Generator, tensor, optim, clipGradNorm, StepLR, F } from '../src/index.js';
import { descentOptimizer } from '../src/tfjs/index.js';
import { assertAllclose } from './helpers/allclose.js';

const close = { rtol: 1e-5, atol: 1e-5 };
const rng = new Generator(7);
const values = (n: number, scale = 1): number[] => Array.from({ length: n }, () => rng.normal() * scale);

// One regression problem and one initialization, shared by both sides.
const X = values(32 * 4);
const Y = values(32 * 3);
const init = { k1: values(4 * 8, 0.5), b1: values(8, 0.1), k2: values(8 * 3, 0.5), b2: values(3, 0.1) };
const adamw = (p: ConstructorParameters<typeof optim.AdamW>[0]) => new optim.AdamW(p, { lr: 0.01, weightDecay: 0.05 });

/** descent on its own: the same two-layer net (tfjs's kernel layout [in, out]), the same batches and loss. */
function trainNatively(steps: number, batch: number): number[][] {
  const params = [tensor(init.k1, [4, 8]), tensor(init.b1, [8]), tensor(init.k2, [8, 3]), tensor(init.b2, [3])];
  for (const p of params) p.requiresGrad = true;
  const [k1, b1, k2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const optimizer = adamw(params);
  const x = tensor(X, [32, 4]);
  const y = tensor(Y, [32, 3]);
  for (let step = 0; step < steps; step++) {
    const start = (step * batch) % 32;
    optimizer.zeroGrad();
    const out = x.slice(start, start + batch).matmul(k1).add(b1).relu().matmul(k2).add(b2);
    F.mseLoss(out, y.slice(start, start + batch)).backward();
    optimizer.step();
  }
  return params.map((p) => Array.from(p.data));
}

function layersModel(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3 })] });
  model.setWeights([tf.tensor(init.k1, [4, 8]), tf.tensor(init.b1, [8]), tf.tensor(init.k2, [8, 3]), tf.tensor(init.b2, [3])]);
  return model;
}

describe.each(['cpu', 'wasm'])('descent/tfjs on the tfjs %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('model.compile + model.fit: AdamW reaches the weights descent reaches natively', async () => {
    const model = layersModel();
    const optimizer = descentOptimizer(adamw);
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const before = tf.tidy(() => model.evaluate(tf.tensor(X, [32, 4]), tf.tensor(Y, [32, 3])) as tf.Scalar).dataSync()[0]!;
    await model.fit(tf.tensor(X, [32, 4]), tf.tensor(Y, [32, 3]), { batchSize: 16, epochs: 3, shuffle: false, verbose: 0 });
    const expected = trainNatively(6, 16);
    const got = model.getWeights().map((w) => Array.from(w.dataSync()));
    got.forEach((w, i) => assertAllclose(w, expected[i]!, close, `weight ${i}`));
    expect(optimizer.iterations).toBe(6);
    expect(optimizer.optimizer.name).toBe('AdamW');
    const after = tf.tidy(() => model.evaluate(tf.tensor(X, [32, 4]), tf.tensor(Y, [32, 3])) as tf.Scalar).dataSync()[0]!;
    expect(after).toBeLessThan(before);
  });
});

describe('descent/tfjs with tf.Variables', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });
  const target = [0.5, -1, 2, 0, 1.5, -0.5];
  const lossOf = (a: tf.Variable, b: tf.Variable): tf.Scalar => tf.add(tf.sum(tf.square(tf.sub(a, tf.tensor(target, [2, 3])))), tf.sum(tf.square(b))) as tf.Scalar;
  /** SGD + momentum with two param groups, clipping before each step, StepLR after it. */
  const recipe = (named: Array<[string, Tensor]>) => new optim.SGD([{ params: [named[0]![1]], lr: 0.1 }, { params: [named[1]![1]], lr: 0.02 }], { momentum: 0.9 });

  it('minimize: param groups, clipping and a scheduler act as they do natively; state dicts carry on', () => {
    const a = tf.variable(tf.tensor([1, 1, 1, 1, 1, 1], [2, 3]), true, 'tfjs-test-a');
    const b = tf.variable(tf.tensor([3, -3, 3], [3]), true, 'tfjs-test-b');
    const clip = (params: Tensor[]): void => void clipGradNorm(params, 2);
    const adapter = descentOptimizer(recipe, { variables: [a, b], beforeStep: clip });
    const scheduler = new StepLR(adapter.optimizer, { stepSize: 2, gamma: 0.5 });
    for (let step = 0; step < 5; step++) {
      adapter.minimize(() => lossOf(a, b), false, [a, b]);
      scheduler.step();
    }

    const pa = tensor([1, 1, 1, 1, 1, 1], [2, 3]);
    const pb = tensor([3, -3, 3], [3]);
    pa.requiresGrad = true;
    pb.requiresGrad = true;
    const native = recipe([['a', pa], ['b', pb]]);
    const nativeScheduler = new StepLR(native, { stepSize: 2, gamma: 0.5 });
    const t = tensor(target, [2, 3]);
    for (let step = 0; step < 5; step++) {
      native.zeroGrad();
      pa.sub(t).square().sum().add(pb.square().sum()).backward();
      clipGradNorm([pa, pb], 2);
      native.step();
      nativeScheduler.step();
    }
    assertAllclose(a.dataSync(), pa.data, close, 'a');
    assertAllclose(b.dataSync(), pb.data, close, 'b');
    expect(adapter.optimizer.paramGroups.map((g) => g.lr)).toEqual([0.025, 0.005]);
    // The variables hold copies: descent's storage (an arena on the fused path) is never shared with tfjs.
    const held = Array.from(a.dataSync());
    adapter.params[0]!.data[0]! += 100;
    expect(Array.from(a.dataSync())).toEqual(held);
    adapter.params[0]!.data[0]! -= 100;

    // A fresh adapter over copies of the variables, loaded with the state dict, steps as the first one does.
    const a2 = tf.variable(a.clone(), true, 'tfjs-test-a2');
    const b2 = tf.variable(b.clone(), true, 'tfjs-test-b2');
    const resumed = descentOptimizer(recipe, { variables: [a2, b2], beforeStep: clip });
    resumed.loadStateDict(adapter.stateDict());
    adapter.minimize(() => lossOf(a, b), false, [a, b]);
    resumed.minimize(() => lossOf(a2, b2), false, [a2, b2]);
    expect(Array.from(a2.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(b2.dataSync())).toEqual(Array.from(b.dataSync()));
  });

  it('a variable the optimizer was not given is refused by name, and nothing moves', () => {
    const a = tf.variable(tf.tensor([1, 2], [2]), true, 'tfjs-test-only');
    const stray = tf.variable(tf.tensor([3], [1]), true, 'tfjs-test-stray');
    const adapter = descentOptimizer((p) => new optim.Adam(p, { lr: 0.1 }), { variables: [a] });
    expect(() => adapter.minimize(() => tf.add(tf.sum(tf.square(a)), tf.sum(tf.square(stray))) as tf.Scalar, false, [a, stray])).toThrow(/variable 'tfjs-test-stray' has a gradient but the optimizer was built over 'tfjs-test-only'/);
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    expect(Array.from(stray.dataSync())).toEqual([3]);
    expect(() => descentOptimizer('adam' as never)).toThrow(/must be a function/);
    expect(() => descentOptimizer((p) => new optim.Adam(p)).optimizer).toThrow(/built at the first step/);
  });
});

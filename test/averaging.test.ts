/**
 * Weight averaging (EMA, SWA's AveragedModel and SWALR) and gradient accumulation.
 */
import { describe, expect, it } from 'vitest';
import { assertAllclose } from './helpers/allclose.js';
import { Generator, Tensor, randn, tensor } from '../src/tensor/index.js';
import { Linear, Module, Sequential, ReLU } from '../src/nn/index.js';
import { mseLoss } from '../src/nn/functional.js';
import { SGD } from '../src/optim/sgd.js';
import { Adam } from '../src/optim/adam.js';
import { EMA, AveragedModel, SWALR, GradientAccumulator, copyModule, emaAvgFn } from '../src/train/index.js';

const F32 = { rtol: 1e-6, atol: 1e-7 };

function values(t: Tensor): number[] {
  return Array.from(t.data);
}

describe('EMA', () => {
  it('θ̄ ← θ̄ + (1 − β)(θ − θ̄), starting from θ', () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    const ema = new EMA([p], { decay: 0.5 });
    p.data.set([3, 2]);
    ema.update(); // 1 + 0.5·(3 − 1) = 2,  2 + 0 = 2
    p.data.set([3, 6]);
    ema.update(); // 2 + 0.5·(3 − 2) = 2.5,  2 + 0.5·(6 − 2) = 4
    assertAllclose(values(ema.averaged()[0]!), [2.5, 4], F32);
    expect(values(p)).toEqual([3, 6]); // the live weights are untouched
  });

  it('warmup: βₜ = min(β, (1 + t)/(10 + t))', () => {
    const ema = new EMA([tensor([0])], { decay: 0.999, warmup: true });
    const decays = [0, 1, 2].map(() => {
      const d = ema.currentDecay();
      ema.update();
      return d;
    });
    assertAllclose(decays, [1 / 10, 2 / 11, 3 / 12], { rtol: 1e-15, atol: 0 });
    expect(new EMA([tensor([0])], { decay: 0.5, warmup: true }).currentDecay()).toBe(0.1);
  });

  it('withAveraged evaluates with θ̄ and puts θ back, after a return, a throw or a promise', async () => {
    const model = new Linear(2, 1, { generator: new Generator(1) });
    const ema = new EMA(model, { decay: 0.9 });
    const live = model.stateDict();
    model.weight.data.fill(1);
    ema.update();
    const liveAfterUpdate = model.stateDict();
    const seen = ema.withAveraged(() => Array.from(model.weight.data));
    assertAllclose(seen, live['weight']!.data.map((w) => w + 0.1 * (1 - w)), F32);
    expect(model.stateDict()).toEqual(liveAfterUpdate);

    expect(() => ema.withAveraged(() => {
      throw new Error('evaluation failed');
    })).toThrow('evaluation failed');
    expect(model.stateDict()).toEqual(liveAfterUpdate);

    const insideAsync = await ema.withAveraged(async () => Array.from(model.weight.data));
    expect(insideAsync).toEqual(seen);
    expect(model.stateDict()).toEqual(liveAfterUpdate);
  });

  it('copyTo, store/restore, and a state dict that refuses other shapes', () => {
    const model = new Linear(3, 2, { generator: new Generator(2) });
    const ema = new EMA(model, { decay: 0.5 });
    model.weight.data.fill(0);
    ema.update();
    const target = new Linear(3, 2, { generator: new Generator(3) });
    ema.copyTo(target);
    assertAllclose(values(target.weight), values(ema.averaged()[0]!), { rtol: 0, atol: 0 });
    expect(() => ema.copyTo(new Linear(2, 2))).toThrow(/EMA.copyTo: parameter 0 has shape \[2, 2\], expected \[2, 3\]/);

    const restored = new EMA(model, { decay: 0.5 });
    restored.loadStateDict(JSON.parse(JSON.stringify(ema.stateDict())));
    expect(restored.numUpdates).toBe(1);
    expect(values(restored.averaged()[0]!)).toEqual(values(ema.averaged()[0]!));
    expect(() => restored.loadStateDict({ ...ema.stateDict(), decay: 0.9 })).toThrow(/the state has decay 0.9/);
    expect(() => new EMA(model, { decay: 1.5 })).toThrow(/EMA: decay must be a number in \[0, 1\], got 1.5/);
    expect(() => ema.restore()).toThrow(/nothing stored/);
  });
});

describe('AveragedModel (SWA)', () => {
  it('keeps the equal-weight mean of the models it has seen, in its own copy', () => {
    const model = new Sequential(new Linear(2, 3, { generator: new Generator(4) }), new ReLU(), new Linear(3, 1, { generator: new Generator(5) }));
    const swa = new AveragedModel(model);
    const snapshots: number[][] = [];
    for (const shift of [0.5, -1, 2]) {
      for (const p of model.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i]! += shift;
      swa.updateParameters(model);
      snapshots.push(model.parameters().flatMap((p) => Array.from(p.data)));
    }
    const mean = snapshots[0]!.map((_, i) => (snapshots[0]![i]! + snapshots[1]![i]! + snapshots[2]![i]!) / 3);
    assertAllclose(swa.module.parameters().flatMap((p) => Array.from(p.data)), mean, F32, 'average of three snapshots');
    expect(swa.nAveraged).toBe(3);
    expect(swa.namedParameters().map(([name]) => name)).toEqual(['module.0.weight', 'module.0.bias', 'module.2.weight', 'module.2.bias']);

    // The averaged model computes with the averaged weights.
    const x = randn([4, 2], { generator: new Generator(6) });
    const reference = copyModule(model);
    reference.loadStateDict(swa.module.stateDict());
    assertAllclose(values(swa.call(x) as Tensor), values(reference.call(x) as Tensor), { rtol: 0, atol: 0 });
  });

  it('copyModule gives independent parameters', () => {
    const model = new Linear(2, 2, { generator: new Generator(7) });
    const copy = copyModule(model);
    copy.weight.data.fill(9);
    expect(Array.from(model.weight.data)).not.toContain(9);
    expect(copy).toBeInstanceOf(Linear);
  });

  it('an EMA avgFn, and a state dict with n_averaged as PyTorch writes it', () => {
    const model = new Linear(1, 1, { bias: false, generator: new Generator(8) });
    model.weight.data[0] = 4;
    const swa = new AveragedModel(model, { avgFn: emaAvgFn(0.75) });
    swa.updateParameters(model); // first update copies: 4
    model.weight.data[0] = 8;
    swa.updateParameters(model); // 4 + 0.25·(8 − 4) = 5
    expect(swa.module.weight.data[0]).toBe(5);
    const state = swa.stateDict();
    expect(state['n_averaged']).toEqual({ shape: [], data: [2] });
    const other = new AveragedModel(new Linear(1, 1, { bias: false }));
    other.loadStateDict(JSON.parse(JSON.stringify(state)));
    expect(other.nAveraged).toBe(2);
    expect(other.module.weight.data[0]).toBe(5);
    expect(() => other.loadStateDict({ 'module.weight': state['module.weight']! })).toThrow(/n_averaged must be a record/);
    expect(() => swa.updateParameters(new Linear(2, 1, { bias: false }))).toThrow(/parameter 0 has shape \[1, 2\], expected \[1, 1\]/);
  });
});

describe('SWALR', () => {
  it('anneals from the current lr to swaLr: lr(t) = swaLr·α(t) + lr₀·(1 − α(t))', () => {
    const sgd = new SGD([tensor([0], undefined, { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const s = new SWALR(sgd, { swaLr: 0.01, annealEpochs: 4 });
    const lrs = [sgd.paramGroups[0]!.lr];
    for (let t = 0; t < 5; t++) {
      s.step();
      lrs.push(sgd.paramGroups[0]!.lr);
    }
    // α(2) = (1 − cos(π/2))/2 = 1/2: halfway; α(t ≥ 4) = 1
    assertAllclose([lrs[0]!, lrs[2]!, lrs[4]!, lrs[5]!], [0.1, 0.055, 0.01, 0.01], { rtol: 1e-15, atol: 1e-18 });
  });

  it('is recursive as in PyTorch: an lr edited mid-anneal is annealed from where it is', () => {
    // PyTorch 1.13's SWALR(SGD(lr=0.1), swa_lr=0.01, anneal_epochs=6) with the lr halved after the
    // second step gives these lrs (computed with torch 1.13.0 for this test).
    const torch = [0.1, 0.09397114317029975, 0.03875000000000001, 0.029166666666666667, 0.019583333333333338, 0.012567846427464922, 0.01, 0.01];
    const group = { lr: 0.1, momentum: 0.9 };
    const s = new SWALR({ paramGroups: [group] }, { swaLr: 0.01, annealEpochs: 6 });
    const lrs = [group.lr];
    for (let t = 1; t < torch.length; t++) {
      s.step();
      if (t === 2) group.lr *= 0.5;
      lrs.push(group.lr);
    }
    assertAllclose(lrs, torch, { rtol: 1e-14, atol: 1e-18 });
  });

  it('annealEpochs 0 switches at once; bad options are named', () => {
    const group = { lr: 0.1 };
    new SWALR({ paramGroups: [group] }, { swaLr: 0.03, annealEpochs: 0 });
    expect(group.lr).toBe(0.03);
    expect(() => new SWALR({ paramGroups: [{ lr: 0.1 }] }, { swaLr: 0.01, annealStrategy: 'exp' as never })).toThrow(/SWALR: annealStrategy must be one of "cos", "linear", got "exp"/);
    expect(() => new SWALR({ paramGroups: [{ lr: 0.1 }] }, { swaLr: 0.01, annealEpochs: -1 })).toThrow(/annealEpochs must be an integer ≥ 0, got -1/);
  });
});

describe('gradient accumulation', () => {
  class Net extends Module {
    fc1 = new Linear(3, 5, { generator: new Generator(10) });
    fc2 = new Linear(5, 2, { generator: new Generator(11) });
    forward(x: Tensor): Tensor {
      return this.fc2.call(this.fc1.call(x).tanh());
    }
  }

  const data = new Generator(12);
  const x = randn([12, 3], { generator: data });
  const y = randn([12, 2], { generator: data });

  function rows(t: Tensor, start: number, end: number): Tensor {
    return t.slice(start, end);
  }

  it.each([
    ['SGD with momentum', (m: Module) => new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 })],
    ['Adam', (m: Module) => new Adam(m.parameters(), { lr: 0.01 })],
  ] as const)('%s: 4 micro-batches of 3 make the same steps as batches of 12', (_name, makeOptimizer) => {
    const whole = new Net();
    const micro = new Net();
    micro.loadStateDict(whole.stateDict());
    const wholeOptimizer = makeOptimizer(whole);
    const microOptimizer = makeOptimizer(micro);
    const accumulator = new GradientAccumulator(microOptimizer, { steps: 4 });

    for (let step = 0; step < 3; step++) {
      wholeOptimizer.zeroGrad();
      mseLoss(whole.call(x), y).backward();
      wholeOptimizer.step();

      for (let k = 0; k < 4; k++) {
        accumulator.backward(mseLoss(micro.call(rows(x, 3 * k, 3 * k + 3)), rows(y, 3 * k, 3 * k + 3)));
        expect(accumulator.step()).toBe(k === 3);
      }
    }
    expect(accumulator.optimizerSteps).toBe(3);
    const a = whole.parameters().flatMap(values);
    const b = micro.parameters().flatMap(values);
    const reached = assertAllclose(b, a, { rtol: 1e-5, atol: 1e-6 }, 'accumulated vs whole-batch parameters');
    console.log(`gradient accumulation (${_name}): max abs parameter difference after 3 steps ${reached.maxAbsError.toExponential(2)}`);
  });

  it('flush() steps on the micro-batches seen, as their mean', () => {
    const whole = new Net();
    const micro = new Net();
    micro.loadStateDict(whole.stateDict());
    const wholeOptimizer = new SGD(whole.parameters(), { lr: 0.1 });
    const accumulator = new GradientAccumulator(new SGD(micro.parameters(), { lr: 0.1 }), { steps: 4 });

    wholeOptimizer.zeroGrad();
    mseLoss(whole.call(rows(x, 0, 6)), rows(y, 0, 6)).backward();
    wholeOptimizer.step();

    for (let k = 0; k < 2; k++) {
      accumulator.backward(mseLoss(micro.call(rows(x, 3 * k, 3 * k + 3)), rows(y, 3 * k, 3 * k + 3)));
      accumulator.step();
    }
    expect(accumulator.flush()).toBe(true);
    expect(accumulator.flush()).toBe(false); // nothing pending
    assertAllclose(micro.parameters().flatMap(values), whole.parameters().flatMap(values), { rtol: 1e-5, atol: 1e-6 });
  });

  it('refuses misuse with a message that says what to do', () => {
    const net = new Net();
    const accumulator = new GradientAccumulator(new SGD(net.parameters(), { lr: 0.1 }), { steps: 1 });
    accumulator.backward(mseLoss(net.call(x), y));
    expect(() => accumulator.backward(mseLoss(net.call(x), y))).toThrow(/call step\(\) after each backward\(\)/);
    expect(() => new GradientAccumulator(new SGD(net.parameters(), { lr: 0.1 }), { steps: 0 })).toThrow(/steps must be a positive integer, got 0/);
    expect(() => accumulator.backward(net.call(x))).toThrow(/expected a scalar loss tensor, got shape \[12, 2\]/);
  });
});

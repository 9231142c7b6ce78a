/**
 * The fused WebAssembly kernels against PyTorch's own numbers.
 *
 * Every golden case of a kernel-backed optimizer (test/fixtures/golden-2.14/optimizers.json, made
 * by PyTorch 2.14 on CPU in float32) is replayed straight through each optimizer's fused call,
 * below the optimizer classes: one arena per param group, the recorded gradients written in
 * (alternately through `accumulateGrad`, which lands in the arena's gradient slot, and by
 * assigning `p.grad`, which the arena copies in), the per-step numbers from
 * src/optim/kernels/scalars.ts, one fused call per group and step, and every param compared
 * with PyTorch's after every step, then the state arrays with PyTorch's final state_dict.
 *
 * Tolerance: rtol 1e-4, atol 1e-5 (the golden README's bound for float32 storage). The kernels
 * compute in f32 like PyTorch, but multiply by 1/√(1 − β₂ᵗ) where PyTorch divides, and round
 * per-step scalars once; that moves a value by an ulp or two per step.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/tensor.js';
import { sparseRows } from '../src/tensor/sparse.js';
import { ParamArena } from '../src/optim/wasm/arena.js';
import * as fused from '../src/optim/wasm/fused.js';
import { momentumSgdFused } from '../src/optim/sgd.js';
import { adagradFused, adagradFusedRows } from '../src/optim/adagrad.js';
import { rmspropFused } from '../src/optim/rmsprop.js';
import { adamFused } from '../src/optim/adam.js';
import { adadeltaFused } from '../src/optim/adadelta.js';
import { adamaxFused } from '../src/optim/adamax.js';
import { nadamFused } from '../src/optim/nadam.js';
import { radamFused } from '../src/optim/radam.js';
import { sparseAdamFusedRows } from '../src/optim/sparse_adam.js';
import { lambFused } from '../src/optim/lamb.js';
import { larsTrustRatio } from '../src/optim/kernels/scalars.js';
import { getOptimizerSpec } from '../src/optim/registry.js';
import { snakeCase } from '../src/optim/options.js';
import { arenaArraysOf, type KernelOptimizerSpec } from '../src/optim/spec.js';

/** The arena arrays the optimizer `id` keeps under these options (its spec's state table). */
function fusedStateArrays(id: string, options: Record<string, unknown> = {}): readonly string[] {
  const spec = getOptimizerSpec(id) as KernelOptimizerSpec;
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return arenaArraysOf(spec, { ...spec.defaults, ...given });
}
import * as scalars from '../src/optim/kernels/scalars.js';
import type { AdagradHyper, AdamHyper, AdadeltaHyper, AdamaxHyper, NadamHyper, RadamHyper, RmspropHyper, SparseAdamHyper } from '../src/optim/kernels/index.js';
import { assertAllclose } from './helpers/allclose.js';
import fc from 'fast-check';
import { Generator } from '../src/tensor/random.js';
import { referenceKernels } from '../src/optim/kernels/index.js';
import { gemm } from '../src/tensor/linalg.js';
import { wasmGemm } from '../src/wasm/gemm.js';
import { withKernelBackend } from '../src/wasm/backend.js';

interface Dense { shape: number[]; data: number[] }
interface Sparse { sparse: true; indices: number[]; values: Dense }
interface GoldenCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  groups?: Array<{ params: number[]; options?: Record<string, unknown> }>;
  params: Dense[];
  grads?: Array<Array<Dense | Sparse>>;
  closure?: unknown;
  trajectory: number[][][];
  state_dict?: { state: Record<string, Record<string, unknown>> };
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden-2.14/optimizers.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };

/** The optimizers with a fused kernel here, by PyTorch's class name (the golden README's for LAMB and LARS). */
const FUSED_NAME: Record<string, string> = {
  SGD: 'sgd', Adagrad: 'adagrad', RMSprop: 'rmsprop', Adam: 'adam', AdamW: 'adamw', Adadelta: 'adadelta',
  Adamax: 'adamax', NAdam: 'nadam', RAdam: 'radam', SparseAdam: 'sparseadam', LAMB: 'lamb', LARS: 'lars',
};

/** Each one's defaults (PyTorch 2.14's), snake_case as in the fixtures. */
const DEFAULTS: Record<string, Record<string, unknown>> = Object.fromEntries(
  Object.entries(FUSED_NAME).map(([name, id]) => [name, Object.fromEntries(Object.entries(getOptimizerSpec(id).defaults).map(([k, v]) => [snakeCase(k), v]))]),
);

const replayable = golden.cases.filter((c) => c.optimizer in FUSED_NAME && c.grads !== undefined && c.closure === undefined);

/** One param group during a replay: its arena, options and PyTorch's per-group bookkeeping. */
interface Group {
  arena: ParamArena;
  members: number[];
  o: Record<string, any>;
  steps: number;
  muProduct: number;
}

function dense(d: Dense): Tensor {
  return new Tensor(Float32Array.from(d.data), d.shape);
}

/** Fresh per-step number holders, filled by the functions of kernels/scalars.ts. */
const adagradH = (): AdagradHyper => ({ clr: 0, eps: 0, gradScale: 1, weightDecay: 0 });
const rmspropH = (): RmspropHyper => ({ lr: 0, alpha: 0, eps: 0, momentum: 0, gradScale: 1, weightDecay: 0 });
const adamH = (): AdamHyper => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, stepSize: 0, bc2Sqrt: 1 });
const adadeltaH = (): AdadeltaHyper => ({ lr: 0, rho: 0, eps: 0, gradScale: 1, weightDecay: 0 });
const adamaxH = (): AdamaxHyper => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, stepSize: 0 });
const nadamH = (): NadamHyper => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, bc2: 1, gradStep: 0, momentumStep: 0 });
const radamH = (): RadamHyper => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, adaptiveStep: 0, plainStep: 0 });
const sparseAdamH = (): SparseAdamHyper => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, stepSize: 0 });

function stepGroup(c: GoldenCase, group: Group, all: Group[], params: Tensor[]): void {
  const { arena, o } = group;
  const denseIndices: number[] = [];
  const sparseIndices: number[] = [];
  arena.syncParams();
  group.members.forEach((_, k) => {
    const kind = arena.stageGrad(k);
    if (kind === 'dense') denseIndices.push(k);
    if (kind === 'sparse') sparseIndices.push(k);
  });
  group.steps += 1;
  const t = group.steps;
  const options = { lr: o.lr, betas: o.betas as [number, number], eps: o.eps, weightDecay: o.weight_decay, maximize: o.maximize };
  switch (c.optimizer) {
    case 'SGD':
      momentumSgdFused(arena, denseIndices, { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weight_decay, nesterov: o.nesterov, maximize: o.maximize }, t === 1, null);
      break;
    case 'Adagrad': {
      const h = scalars.adagradScalars(adagradH(), { ...options, lrDecay: o.lr_decay }, t);
      adagradFused(arena, denseIndices, h);
      for (const k of sparseIndices) adagradFusedRows(arena, k, arena.stageRows(k, params[group.members[k]!]!.grad as never), h);
      break;
    }
    case 'RMSprop':
      rmspropFused(arena, denseIndices, scalars.rmspropScalars(rmspropH(), { ...options, alpha: o.alpha, momentum: o.momentum }), o.centered);
      break;
    case 'Adam':
    case 'AdamW':
      adamFused(arena, denseIndices, scalars.adamScalars(adamH(), options, c.optimizer === 'AdamW' || o.decoupled_weight_decay === true, t), o.amsgrad);
      break;
    case 'Adadelta':
      adadeltaFused(arena, denseIndices, scalars.adadeltaScalars(adadeltaH(), { ...options, rho: o.rho }));
      break;
    case 'Adamax':
      adamaxFused(arena, denseIndices, scalars.adamaxScalars(adamaxH(), options, t));
      break;
    case 'NAdam': {
      const h = nadamH();
      group.muProduct = scalars.nadamScalars(h, { ...options, momentumDecay: o.momentum_decay, decoupledWeightDecay: o.decoupled_weight_decay }, t, group.muProduct);
      nadamFused(arena, denseIndices, h);
      break;
    }
    case 'RAdam':
      radamFused(arena, denseIndices, scalars.radamScalars(radamH(), { ...options, decoupledWeightDecay: o.decoupled_weight_decay }, t));
      break;
    case 'SparseAdam': {
      const h = scalars.sparseAdamScalars(sparseAdamH(), options, t);
      for (const k of sparseIndices) sparseAdamFusedRows(arena, k, arena.stageRows(k, params[group.members[k]!]!.grad as never), h);
      break;
    }
    case 'LAMB': {
      // G: the norm of every gradient of the optimizer, all groups together.
      const total = all.reduce((sum, g) => sum + fused.gradSumOfSquares(g.arena, g.members.map((_, k) => k)), 0);
      const h = scalars.lambScalars(adamH(), options, t, scalars.lambGradScale(Math.sqrt(total), o.max_grad_norm));
      lambFused(arena, denseIndices, h, { lr: o.lr, weightDecay: o.weight_decay, trustClip: o.trust_clip });
      break;
    }
    case 'LARS':
      momentumSgdFused(arena, denseIndices, { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weight_decay, nesterov: o.nesterov, maximize: o.maximize, trustCoefficient: o.trust_coefficient, eps: o.eps, trustClip: o.trust_clip }, t === 1, larsTrustRatio);
      break;
    default:
      throw new Error(`no fused replay for ${c.optimizer}`);
  }
}

/** Per case: the largest absolute error, and the largest share of the tolerance used (err / (atol + rtol·|expected|)). */
const reached: Array<{ name: string; maxAbs: number; used: number }> = [];

function toleranceUsed(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (TOLERANCE.atol + TOLERANCE.rtol * Math.abs(expected[i]!)));
  return worst;
}

describe('fused WebAssembly kernels replay PyTorch golden trajectories', () => {
  it('covers every kernel-backed golden case', () => {
    expect(new Set(replayable.map((c) => c.optimizer))).toEqual(new Set(Object.keys(FUSED_NAME)));
  });

  for (const c of replayable) {
    it(c.name, () => {
      const params = c.params.map(dense);
      const groupSpecs = c.groups ?? [{ params: params.map((_, i) => i) }];
      const groups: Group[] = groupSpecs.map((spec) => {
        const o = { ...DEFAULTS[c.optimizer], ...c.options, ...(spec.options ?? {}) };
        const state = fusedStateArrays(FUSED_NAME[c.optimizer]!, { momentum: o.momentum as number, centered: o.centered as boolean, amsgrad: o.amsgrad as boolean });
        const initial: Record<string, number> = c.optimizer === 'Adagrad' ? { sum: o.initial_accumulator_value as number } : {};
        return { arena: new ParamArena(spec.params.map((i) => params[i]!), { state, initial }), members: spec.params, o, steps: 0, muProduct: 1 };
      });
      let maxAbs = 0;
      let used = 0;
      c.grads!.forEach((stepGrads, t) => {
        stepGrads.forEach((g, i) => {
          const p = params[i]!;
          if ('sparse' in g) p.grad = sparseRows(g.indices, dense(g.values), p.shape);
          else if (t % 2 === 0) p.accumulateGrad(dense(g));
          else p.grad = dense(g);
        });
        for (const group of groups) stepGroup(c, group, groups, params);
        params.forEach((p, i) => {
          const r = assertAllclose(p.data, c.trajectory[t]![i]!, TOLERANCE, `${c.name} step ${t + 1} param ${i}`);
          maxAbs = Math.max(maxAbs, r.maxAbsError);
          used = Math.max(used, toleranceUsed(p.data, c.trajectory[t]![i]!));
        });
        params.forEach((p) => (p.grad = null));
      });
      // The state arrays PyTorch ended with (LAMB and LARS have no PyTorch state_dict).
      for (const group of groups) {
        group.members.forEach((i, k) => {
          const expected = c.state_dict?.state[String(i)] ?? {};
          for (const name of group.arena.stateNames) {
            const value = expected[name] as Dense | undefined;
            if (value === undefined) continue;
            assertAllclose(group.arena.state(name, k), value.data, TOLERANCE, `${c.name} state ${name} of param ${i}`);
          }
        });
      }
      reached.push({ name: c.name, maxAbs, used });
    });
  }

  it('LAMB leaves the gradient as it was (its direction goes to a scratch region)', () => {
    const p = new Tensor(Float32Array.from([1, 2, 3]), [3], { requiresGrad: true });
    const arena = new ParamArena([p], { state: fusedStateArrays('lamb') });
    p.grad = new Tensor(Float32Array.from([0.5, -1, 2]), [3]);
    arena.stageGrad(0);
    lambFused(arena, [0], scalars.lambScalars(adamH(), { betas: [0.9, 0.999], eps: 1e-6 }, 1, 1), { lr: 0.1, weightDecay: 0.01, trustClip: false });
    expect(Array.from(arena.gradView(0))).toEqual([0.5, -1, 2]);
    expect(Array.from(p.data)).not.toEqual([1, 2, 3]);
  });

  it('gradients written by backward land in the arena in place', () => {
    const p = new Tensor(Float32Array.from([1, 2, 3]), [3], { requiresGrad: true });
    const arena = new ParamArena([p], { state: ['exp_avg', 'exp_avg_sq'] });
    p.mul(p).sum().backward();
    expect((p.grad as Tensor).data).toBe(arena.gradView(0));
    expect(Array.from(arena.gradView(0))).toEqual([2, 4, 6]);
    expect(p.data).toBe(arena.paramView(0));
  });

  afterAll(() => {
    if (reached.length === 0) return;
    const worst = reached.reduce((a, b) => (b.used > a.used ? b : a));
    const worstAbs = reached.reduce((a, b) => (b.maxAbs > a.maxAbs ? b : a));
    console.log(`wasm vs PyTorch golden: ${reached.length} cases, max abs error ${worstAbs.maxAbs.toExponential(2)} (${worstAbs.name}), at most ${(100 * worst.used).toFixed(1)}% of the tolerance used (${worst.name})`);
  });
});

describe('arena contract', () => {
  it('rejects float64 params, duplicate params and unknown state arrays by name', () => {
    const p = new Tensor(new Float32Array(4), [4]);
    expect(() => new ParamArena([new Tensor(new Float64Array(2), [2])], { state: [] })).toThrow(/float32 parameters; parameter 0 is float64/);
    expect(() => new ParamArena([p, p], { state: [] })).toThrow(/parameter 1 appears more than once/);
    expect(() => new ParamArena([p], { state: ['exp_avg'], initial: { sum: 0.1 } })).toThrow(/'sum'/);
    const arena = new ParamArena([p], { state: ['exp_avg'] });
    expect(() => arena.stateOffset('exp_avg_sq')).toThrow(/no state array 'exp_avg_sq'/);
    const adam = { lr: 1e-3, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0 };
    expect(() => adamFused(arena, [0], scalars.adamScalars(adamH(), adam, false, 1), false)).toThrow(/exp_avg_sq/);
    expect(() => scalars.adamScalars(adamH(), adam, false, 0)).toThrow(/step must be an integer ≥ 1/);
  });

  it('merges neighbouring params into one segment, so many small tensors cost one call', () => {
    const params = Array.from({ length: 5 }, (_, i) => new Tensor(new Float32Array(3 + i), [3 + i]));
    const arena = new ParamArena(params, { state: [] });
    expect(arena.writeSegments([0, 1, 2, 3, 4])).toBe(1);
    expect(arena.writeSegments([0, 1, 3, 4])).toBe(2);
    expect(arena.writeSegments([0, 1, 2], true)).toBe(3);
  });

  it('a norm pass counts exact lengths, whatever lies in the padding', () => {
    const p = new Tensor(Float32Array.from([3, 4, 12]), [3]);
    const q = new Tensor(Float32Array.from([1, 1, 1, 1, 1]), [5]);
    const arena = new ParamArena([p, q], { state: [] });
    new Float32Array(arena.memory.buffer, arena.address(0) + 12, 1)[0] = 1e9;
    expect(Array.from(fused.sumOfSquares(arena, [0, 1], 'param').subarray(0, 2))).toEqual([169, 5]);
  });

  it('state tensors are bound into the arena, and a replaced one is copied back in', () => {
    const p = new Tensor(Float32Array.from([1, 2]), [2]);
    const arena = new ParamArena([p], { state: ['exp_avg'] });
    const state = { step: 3, exp_avg: new Tensor(Float32Array.from([7, 8]), [2]) };
    arena.bindState(0, state);
    expect(state.exp_avg.data).toBe(arena.state('exp_avg', 0));
    expect(Array.from(arena.state('exp_avg', 0))).toEqual([7, 8]);
    state.exp_avg = new Tensor(Float32Array.from([5, 6]), [2]);
    arena.bindState(0, state);
    expect(Array.from(arena.state('exp_avg', 0))).toEqual([5, 6]);
    expect(() => arena.bindState(0, { exp_avg: new Tensor(new Float32Array(3), [3]) })).toThrow(/'exp_avg' of parameter 0 has 3 values, the parameter 2/);
  });

  it('a param whose data was replaced is copied back in on sync', () => {
    const p = new Tensor(Float32Array.from([1, 2]), [2]);
    const arena = new ParamArena([p], { state: [] });
    p.data = Float32Array.from([5, 6]);
    arena.syncParams();
    expect(p.data).toBe(arena.paramView(0));
    expect(Array.from(p.data)).toEqual([5, 6]);
  });
});

/**
 * The fused kernels against the plain TypeScript kernels (src/optim/kernels), which the
 * optimizer classes run: random tensor counts and sizes (ragged, so every padding case
 * occurs), random hyperparameters, a few steps from a random step count, random row-sparse
 * gradients with repeated rows. Both sides get the same per-step numbers; the TypeScript
 * kernels compute in doubles and store float32, the WebAssembly ones compute in float32, so
 * they may differ by a few ulps per step: rtol 1e-4, atol 1e-5 as against PyTorch.
 */
describe('fused WebAssembly kernels match the plain TypeScript kernels', () => {
  const RUNS = 40;
  const worst = { abs: 0, used: 0, where: '' };

  /** f32-exact values in [−span, span] on a grid: no subnormals, which neither side is about. */
  const value = (span: number) => fc.integer({ min: -4096, max: 4096 }).map((k) => Math.fround((k / 4096) * span));
  const sizes = fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 4 });
  const common = fc.record({
    sizes,
    steps: fc.integer({ min: 1, max: 3 }),
    startStep: fc.integer({ min: 0, max: 12 }),
    maximize: fc.boolean(),
    weightDecay: fc.constantFrom(0, 0.01, 0.1),
    seed: fc.integer({ min: 0, max: 2 ** 30 }),
  });
  type Common = { sizes: number[]; steps: number; startStep: number; maximize: boolean; weightDecay: number; seed: number };

  interface Side {
    params: Float32Array[];
    grads: Float32Array[];
    state: Record<string, Float32Array[]>;
  }

  /** Deterministic f32 data from a seed: params in [−2, 2], grads in [−1, 1] with some exact zeros. */
  function data(c: Common, steps: number): { params: Float32Array[]; grads: Float32Array[][] } {
    const rng = new Generator(c.seed);
    const grid = (span: number): number => Math.fround(((rng.integer(-4096, 4097)) / 4096) * span);
    const params = c.sizes.map((n) => Float32Array.from({ length: n }, () => grid(2)));
    const grads = Array.from({ length: steps }, () => c.sizes.map((n) => Float32Array.from({ length: n }, () => (rng.uniform() < 0.1 ? 0 : grid(1)))));
    return { params, grads };
  }

  function record(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    const r = assertAllclose(actual, expected, TOLERANCE, label);
    worst.abs = Math.max(worst.abs, r.maxAbsError);
    const used = toleranceUsed(actual, expected);
    if (used > worst.used) Object.assign(worst, { used, where: label });
  }

  /**
   * Runs `steps` steps both ways and compares params and every state array. `js` gets one
   * tensor's arrays and the step count; `wasm` the arena, all its params, the step count.
   */
  function compareDense(name: string, c: Common, stateNames: string[], initial: Record<string, number>, js: (side: Side, i: number, t: number) => void, wasm: (arena: ParamArena, indices: readonly number[], t: number) => void): void {
    const { params, grads } = data(c, c.steps);
    const tensors = params.map((p) => new Tensor(Float32Array.from(p), [p.length]));
    const arena = new ParamArena(tensors, { state: stateNames, initial });
    const side: Side = {
      params: params.map((p) => Float32Array.from(p)),
      grads: params.map((p) => new Float32Array(p.length)),
      state: Object.fromEntries(stateNames.map((s) => [s, params.map((p) => new Float32Array(p.length).fill(initial[s] ?? 0))])),
    };
    for (let k = 0; k < c.steps; k++) {
      const t = c.startStep + k + 1;
      tensors.forEach((p, i) => {
        p.grad = new Tensor(Float32Array.from(grads[k]![i]!), p.shape);
        side.grads[i]!.set(grads[k]![i]!);
      });
      wasm(arena, arena.stageGrads().dense, t);
      params.forEach((_, i) => js(side, i, t));
    }
    tensors.forEach((p, i) => {
      record(`${name} param ${i}`, p.data, side.params[i]!);
      for (const s of stateNames) record(`${name} ${s} ${i}`, arena.state(s, i), side.state[s]![i]!);
    });
  }

  const sign = (c: Common): number => (c.maximize ? -1 : 1);
  const betas = fc.record({ beta1: fc.constantFrom(0, 0.5, 0.9), beta2: fc.constantFrom(0.9, 0.99, 0.999) });
  const n = (side: Side, i: number): number => side.params[i]!.length;

  it('SGD, with and without momentum, dampening, Nesterov', () => {
    fc.assert(fc.property(common, fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0, 0.5, 0.9), dampening: fc.constantFrom(0, 0.1), nesterov: fc.boolean() }), (c, o) => {
      const nesterov = o.nesterov && o.momentum > 0 && o.dampening === 0;
      const state = o.momentum > 0 ? ['momentum_buffer'] : [];
      compareDense('sgd', c, state, {}, (s, i, t) => {
        const first = t === c.startStep + 1;
        if (o.momentum === 0) referenceKernels.sgdUpdate(s.params[i]!, s.grads[i]!, n(s, i), { lr: o.lr, gradScale: sign(c), weightDecay: c.weightDecay });
        else referenceKernels.sgdMomentumUpdate(s.params[i]!, s.grads[i]!, s.state.momentum_buffer![i]!, n(s, i), {
          lr: o.lr, gradScale: sign(c), weightDecay: c.weightDecay,
          bufferDecay: first ? 0 : o.momentum, bufferGradScale: first ? 1 : 1 - o.dampening,
          directGradWeight: nesterov ? 1 : 0, bufferWeight: nesterov ? o.momentum : 1,
        });
      }, (a, idx, t) => momentumSgdFused(a, idx, { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: c.weightDecay, nesterov, maximize: c.maximize }, t === c.startStep + 1, null));
    }), { numRuns: RUNS, seed: 11 });
  });

  it('Adagrad, dense', () => {
    fc.assert(fc.property(common, fc.record({ lr: fc.constantFrom(0.01, 0.1), lrDecay: fc.constantFrom(0, 0.01), init: fc.constantFrom(0, 0.1), eps: fc.constantFrom(1e-10, 1e-6) }), (c, o) => {
      const at = (t: number) => scalars.adagradScalars(adagradH(), { lr: o.lr, lrDecay: o.lrDecay, weightDecay: c.weightDecay, eps: o.eps, maximize: c.maximize }, t);
      compareDense('adagrad', c, ['sum'], { sum: o.init }, (s, i, t) => {
        referenceKernels.adagradUpdate(s.params[i]!, s.grads[i]!, s.state.sum![i]!, n(s, i), at(t));
      }, (a, idx, t) => adagradFused(a, idx, at(t)));
    }), { numRuns: RUNS, seed: 12 });
  });

  it('RMSprop, plain, centered, with momentum', () => {
    fc.assert(fc.property(common, fc.record({ lr: fc.constantFrom(0.001, 0.01), alpha: fc.constantFrom(0.9, 0.99), momentum: fc.constantFrom(0, 0.9), centered: fc.boolean() }), (c, o) => {
      const state = [...fusedStateArrays('rmsprop', { momentum: o.momentum, centered: o.centered })];
      const h = scalars.rmspropScalars(rmspropH(), { lr: o.lr, alpha: o.alpha, eps: 1e-8, weightDecay: c.weightDecay, momentum: o.momentum, maximize: c.maximize });
      compareDense('rmsprop', c, state, {}, (s, i) => {
        referenceKernels.rmspropUpdate(s.params[i]!, s.grads[i]!, s.state.square_avg![i]!, o.centered ? s.state.grad_avg![i]! : null, o.momentum > 0 ? s.state.momentum_buffer![i]! : null, n(s, i), h);
      }, (a, idx) => rmspropFused(a, idx, h, o.centered));
    }), { numRuns: RUNS, seed: 13 });
  });

  it('Adam and AdamW, with and without AMSGrad', () => {
    fc.assert(fc.property(common, betas, fc.record({ lr: fc.constantFrom(1e-3, 1e-2), amsgrad: fc.boolean(), decoupled: fc.boolean(), eps: fc.constantFrom(1e-8, 1e-6) }), (c, b, o) => {
      const state = [...fusedStateArrays('adam', { amsgrad: o.amsgrad })];
      const at = (t: number) => scalars.adamScalars(adamH(), { lr: o.lr, betas: [b.beta1, b.beta2], eps: o.eps, weightDecay: c.weightDecay, maximize: c.maximize }, o.decoupled, t);
      compareDense('adam', c, state, {}, (s, i, t) => {
        referenceKernels.adamUpdate(s.params[i]!, s.grads[i]!, s.state.exp_avg![i]!, s.state.exp_avg_sq![i]!, o.amsgrad ? s.state.max_exp_avg_sq![i]! : null, n(s, i), at(t));
      }, (a, idx, t) => adamFused(a, idx, at(t), o.amsgrad));
    }), { numRuns: RUNS, seed: 14 });
  });

  it('Adadelta', () => {
    fc.assert(fc.property(common, fc.record({ lr: fc.constantFrom(0.5, 1), rho: fc.constantFrom(0.9, 0.95), eps: fc.constantFrom(1e-6, 1e-4) }), (c, o) => {
      const h = scalars.adadeltaScalars(adadeltaH(), { lr: o.lr, rho: o.rho, eps: o.eps, weightDecay: c.weightDecay, maximize: c.maximize });
      compareDense('adadelta', c, ['square_avg', 'acc_delta'], {}, (s, i) => {
        referenceKernels.adadeltaUpdate(s.params[i]!, s.grads[i]!, s.state.square_avg![i]!, s.state.acc_delta![i]!, n(s, i), h);
      }, (a, idx) => adadeltaFused(a, idx, h));
    }), { numRuns: RUNS, seed: 15 });
  });

  it('Adamax', () => {
    fc.assert(fc.property(common, betas, fc.record({ lr: fc.constantFrom(2e-3, 1e-2) }), (c, b, o) => {
      const at = (t: number) => scalars.adamaxScalars(adamaxH(), { lr: o.lr, betas: [b.beta1, b.beta2], eps: 1e-8, weightDecay: c.weightDecay, maximize: c.maximize }, t);
      compareDense('adamax', c, ['exp_avg', 'exp_inf'], {}, (s, i, t) => {
        referenceKernels.adamaxUpdate(s.params[i]!, s.grads[i]!, s.state.exp_avg![i]!, s.state.exp_inf![i]!, n(s, i), at(t));
      }, (a, idx, t) => adamaxFused(a, idx, at(t)));
    }), { numRuns: RUNS, seed: 16 });
  });

  it('NAdam (PyTorch 1.13 momentum schedule)', () => {
    fc.assert(fc.property(common, betas, fc.record({ lr: fc.constantFrom(2e-3, 1e-2), momentumDecay: fc.constantFrom(4e-3, 1e-2) }), (c, b, o) => {
      const options = { lr: o.lr, betas: [b.beta1, b.beta2] as const, eps: 1e-8, weightDecay: c.weightDecay, momentumDecay: o.momentumDecay, maximize: c.maximize };
      // The μ product a run would have reached at startStep, then one set of numbers per step for both sides.
      let product = 1;
      for (let t = 1; t <= c.startStep; t++) product = scalars.nadamScalars(nadamH(), options, t, product);
      const numbers = new Map<number, NadamHyper>();
      const at = (t: number): NadamHyper => {
        if (!numbers.has(t)) {
          const h = nadamH();
          product = scalars.nadamScalars(h, options, t, product);
          numbers.set(t, h);
        }
        return numbers.get(t)!;
      };
      compareDense('nadam', c, ['exp_avg', 'exp_avg_sq'], {}, (s, i, t) => {
        referenceKernels.nadamUpdate(s.params[i]!, s.grads[i]!, s.state.exp_avg![i]!, s.state.exp_avg_sq![i]!, n(s, i), at(t));
      }, (a, idx, t) => nadamFused(a, idx, at(t)));
    }), { numRuns: RUNS, seed: 17 });
  });

  it('RAdam, before and after the rectification threshold', () => {
    fc.assert(fc.property(common, fc.record({ lr: fc.constantFrom(1e-3, 1e-2), beta2: fc.constantFrom(0.9, 0.999) }), (c, o) => {
      const at = (t: number) => scalars.radamScalars(radamH(), { lr: o.lr, betas: [0.9, o.beta2], eps: 1e-8, weightDecay: c.weightDecay, maximize: c.maximize }, t);
      compareDense('radam', c, ['exp_avg', 'exp_avg_sq'], {}, (s, i, t) => {
        referenceKernels.radamUpdate(s.params[i]!, s.grads[i]!, s.state.exp_avg![i]!, s.state.exp_avg_sq![i]!, n(s, i), at(t));
      }, (a, idx, t) => radamFused(a, idx, at(t)));
    }), { numRuns: RUNS, seed: 18 });
  });

  /** A row-sparse gradient with `nnz` rows drawn with repeats from `rows`, its values on the grid. */
  const sparseCase = fc.record({
    rows: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 7 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
    values: fc.array(value(1), { minLength: 84, maxLength: 84 }),
    init: fc.array(value(2), { minLength: 63, maxLength: 63 }),
    steps: fc.integer({ min: 1, max: 3 }),
    maximize: fc.boolean(),
  });
  type SparseCase = { rows: number; width: number; picks: number[]; values: number[]; init: number[]; steps: number; maximize: boolean };

  function compareRows(name: string, c: SparseCase, stateNames: string[], js: (param: Float32Array, state: Float32Array[], rows: Int32Array, values: Float32Array, t: number) => void, wasm: (arena: ParamArena, staged: ReturnType<ParamArena['stageRows']>, t: number) => void): void {
    const shape = [c.rows, c.width];
    const start = Float32Array.from(c.init.slice(0, c.rows * c.width));
    const p = new Tensor(Float32Array.from(start), shape);
    const arena = new ParamArena([p], { state: stateNames });
    const jsParam = Float32Array.from(start);
    const jsState = stateNames.map(() => new Float32Array(start.length));
    for (let t = 1; t <= c.steps; t++) {
      const indices = c.picks.map((k) => (k + t) % c.rows);
      const values = new Tensor(Float32Array.from(c.values.slice(0, indices.length * c.width)), [indices.length, c.width]);
      const grad = sparseRows(indices, values, shape);
      const coalesced = grad.coalesce();
      js(jsParam, jsState, coalesced.indices, coalesced.values.data as Float32Array, t);
      p.grad = grad;
      expect(arena.stageGrads().sparse).toEqual([0]);
      wasm(arena, arena.stageRows(0, grad), t);
    }
    record(`${name} param`, p.data, jsParam);
    stateNames.forEach((s, k) => record(`${name} ${s}`, arena.state(s, 0), jsState[k]!));
  }

  it('Adagrad on row-sparse gradients with repeated rows', () => {
    fc.assert(fc.property(sparseCase, (c) => {
      const at = (t: number) => scalars.adagradScalars(adagradH(), { lr: 0.1, lrDecay: 0.01, weightDecay: 0, eps: 1e-10, maximize: c.maximize }, t);
      compareRows('adagrad rows', c, ['sum'], (param, [sum], rows, values, t) => {
        referenceKernels.adagradSparseUpdate(param, sum!, rows, values, c.width, at(t));
      }, (a, staged, t) => adagradFusedRows(a, 0, staged, at(t)));
    }), { numRuns: RUNS, seed: 19 });
  });

  it('SparseAdam on row-sparse gradients with repeated rows', () => {
    fc.assert(fc.property(sparseCase, (c) => {
      const at = (t: number) => scalars.sparseAdamScalars(sparseAdamH(), { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, maximize: c.maximize }, t);
      compareRows('sparse adam rows', c, ['exp_avg', 'exp_avg_sq'], (param, [m, v], rows, values, t) => {
        referenceKernels.sparseAdamUpdate(param, m!, v!, rows, values, c.width, at(t));
      }, (a, staged, t) => sparseAdamFusedRows(a, 0, staged, at(t)));
    }), { numRuns: RUNS, seed: 20 });
  });

  it('sums of squares, per param, over ragged sizes', () => {
    fc.assert(fc.property(common, (c) => {
      const { params } = data(c, 0);
      const arena = new ParamArena(params.map((p) => new Tensor(Float32Array.from(p), [p.length])), { state: [] });
      const sums = fused.sumOfSquares(arena, params.map((_, i) => i), 'param');
      params.forEach((p, i) => record(`sum of squares ${i}`, [sums[i]!], [referenceKernels.sumOfSquares(p, p.length)]));
    }), { numRuns: RUNS, seed: 21 });
  });

  afterAll(() => {
    console.log(`wasm vs TypeScript kernels: max abs error ${worst.abs.toExponential(2)}, at most ${(100 * worst.used).toFixed(1)}% of the tolerance used (${worst.where})`);
  });
});

/**
 * The WebAssembly matmul against the engine's own `gemm` (C += A·B in JavaScript): shapes that
 * are not multiples of the 4 × 8 block, and depths past one 256-row panel. Float32 sums in a
 * different order: relative 1e-5 of the largest term's scale.
 */
describe('WebAssembly matmul', () => {
  it('C += A·B matches the engine gemm on ragged shapes, at offsets', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 2 ** 30 }), (m, k, n, seed) => {
      const rng = new Generator(seed);
      const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform() * 2 - 1);
      const a = fill(m * k + 3);
      const b = fill(k * n + 5);
      const c = fill(m * n + 2);
      const expected = Float32Array.from(c);
      gemm(a, 3, b, 5, expected, 2, m, k, n);
      wasmGemm(a, 3, b, 5, c, 2, m, k, n);
      assertAllclose(c, expected, { rtol: 1e-5, atol: 1e-5 * Math.sqrt(k) }, `gemm ${m}×${k}×${n}`);
    }), { numRuns: 60, seed: 22 });
  });

  it("the engine's matmul on the wasm backend gives the values and gradients of the js backend", () => {
    // 37·300·9 multiply-adds: above WASM_GEMM_MIN_WORK, so forward, dA and dB all run in WebAssembly.
    const rng = new Generator(5);
    const a = new Tensor(Float32Array.from({ length: 37 * 300 }, () => rng.normal()), [37, 300], { requiresGrad: true });
    const b = new Tensor(Float32Array.from({ length: 300 * 9 }, () => rng.normal()), [300, 9], { requiresGrad: true });
    const weights = new Tensor(Float32Array.from({ length: 37 * 9 }, () => rng.normal()), [37, 9]);
    const gradOf = (t: Tensor) => (t.grad as Tensor).data;
    const run = (backend: 'js' | 'wasm') => withKernelBackend(backend, () => {
      a.grad = null;
      b.grad = null;
      const y = a.matmul(b);
      y.mul(weights).sum().backward();
      return { y: y.data, da: gradOf(a), db: gradOf(b) };
    });
    const wasm = run('wasm');
    const js = run('js');
    assertAllclose(wasm.y, js.y, { rtol: 1e-5, atol: 1e-4 }, 'A·B');
    assertAllclose(wasm.da, js.da, { rtol: 1e-5, atol: 1e-4 }, 'dA');
    assertAllclose(wasm.db, js.db, { rtol: 1e-5, atol: 1e-4 }, 'dB');
    expect(() => withKernelBackend('wasm', () => a.matmul(a))).toThrow(/\[37, 300\] and \[37, 300\]/);
  });
});

/**
 * The fuzz targets. Each draws inputs with fast-check from a seed, judges every input (see
 * ./outcome.ts) and returns the counts. The same targets run briefly in `npm test`
 * (test/fuzz.test.ts) and at length in `npm run fuzz` (test/fuzz/run.ts).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Tensor } from '../../src/tensor/tensor.js';
import { sparseRows } from '../../src/tensor/sparse.js';
import { Generator } from '../../src/tensor/random.js';
import { Linear } from '../../src/nn/index.js';
import { Adam, SGD } from '../../src/optim/index.js';
import { KernelOptimizer } from '../../src/optim/runner.js';
import { withKernelBackend } from '../../src/wasm/backend.js';
import { optimizerSpecs, wrapperSpecs, type OptionSpec } from '../../src/optim/registry.js';
import {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ConstantLR,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  MultiplicativeLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  WarmupCosineLR,
  type SchedulableOptimizer,
  type Scheduler,
} from '../../src/schedulers/index.js';
import { optionNames } from '../../src/schedulers/schedules.js';
import { SWALR } from '../../src/train/swa.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, captureTraining, decodeCheckpoint, encodeCheckpoint, restoreTraining, type TrainingObjects } from '../../src/train/checkpoint.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { emptyCounts, invariant, judge, show, spend, type FuzzBudget, type FuzzCounts } from './outcome.js';
import { copyDocument, fresh, hostileValue, jsonText, misspelling, mutate, mutations, prototypeNames, sameDocument, setOwn, type Mutation } from './hostile.js';

// ---------------------------------------------------------------------------------------------
// A small problem every optimizer can step on

interface Problem {
  params: Tensor[];
  /** L = ½ Σ (w − target)², writing ∇L = w − target into each param's grad (row-sparse when asked). */
  closure: () => number;
}

function problem(seed: number, sparse: boolean): Problem {
  const g = new Generator(seed);
  const shapes = [[3, 2], [2, 2]];
  const params = shapes.map((shape) => new Tensor(Float32Array.from({ length: shape[0]! * shape[1]! }, () => g.normal()), shape, { requiresGrad: true }));
  const targets = params.map((p) => Float32Array.from(p.data, () => g.normal()));
  const closure = (): number => {
    let loss = 0;
    params.forEach((p, k) => {
      const grad = Float32Array.from(p.data, (w, i) => w - targets[k]![i]!);
      for (const d of grad) loss += d * d / 2;
      const dense = new Tensor(grad, [...p.shape]);
      p.grad = sparse ? sparseRows(Array.from({ length: p.shape[0]! }, (_, r) => r), dense, [...p.shape]) : dense;
    });
    return loss;
  };
  return { params, closure };
}

interface Steppable {
  step(closure?: () => number): unknown;
  stateDict(): unknown;
  loadStateDict(state: never): void;
  readonly paramGroups: ReadonlyArray<Record<string, unknown>>;
}

/** An optimizer or wrapper of the registry, by index over both lists. */
const owners = [
  ...optimizerSpecs.map((spec) => ({
    id: spec.id,
    options: spec.options,
    sparse: spec.gradients === 'sparse',
    build: (p: Problem, options: unknown): Steppable => spec.create(p.params, options as never) as unknown as Steppable,
  })),
  ...wrapperSpecs.map((spec) => ({
    id: spec.id,
    options: spec.options,
    sparse: false,
    build: (p: Problem, options: unknown): Steppable => spec.create(new SGD(p.params, { lr: 0.01, momentum: 0.5 }), options as never) as unknown as Steppable,
  })),
];

/** Whether a value is one the registry declares valid for the option. */
function validForSpec(option: OptionSpec, value: unknown): boolean {
  const inRange = (v: unknown): boolean => {
    if (typeof v !== 'number' || Number.isNaN(v)) return false;
    const { min, max, exclusiveMin, exclusiveMax } = option;
    if (min !== undefined && (exclusiveMin ? !(v > min) : !(v >= min))) return false;
    if (max !== undefined && (exclusiveMax ? !(v < max) : !(v <= max))) return false;
    return true;
  };
  switch (option.type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'choice':
      return (option.choices ?? []).includes(value);
    case 'betas':
      return Array.isArray(value) && value.length === 2 && value.every(inRange);
    case 'nullableNumber':
      return value === null || inRange(value);
    case 'tuple':
      return Array.isArray(value) && value.length === option.length && value.every((v: unknown, i) => (v === null ? (option.nullableAt ?? []).includes(i) : inRange(v)));
    default:
      return inRange(value);
  }
}

/** A valid value: the default, or a point of the slider range. */
function validValue(option: OptionSpec): fc.Arbitrary<unknown> {
  const [lo, hi] = option.range ?? [0, 1];
  const point = fc.integer({ min: 0, max: 10 }).map((k) => lo + ((hi - lo) * k) / 10);
  switch (option.type) {
    case 'boolean':
      return fc.boolean();
    case 'choice':
      return fc.constantFrom(...(option.choices ?? [null]));
    case 'betas':
      return fc.tuple(point, point).map(([a, b]) => [Math.min(a, 0.99), Math.min(b, 0.999)]);
    case 'tuple':
      return fc.constant(option.default);
    default:
      return option.default === undefined ? point : fc.oneof(fc.constant(option.default), point);
  }
}

/** Steps `steps` times on the problem's closure. */
function run(optimizer: Steppable, p: Problem, steps: number): void {
  for (let t = 0; t < steps; t++) optimizer.step(p.closure);
}

function paramsOf(p: Problem): number[][] {
  return p.params.map((t) => Array.from(t.data));
}

// ---------------------------------------------------------------------------------------------
// Option objects: every optimizer and wrapper of the registry

type Edit = { kind: 'hostile'; option: number; value: unknown } | { kind: 'misspelt'; key: string; value: unknown } | { kind: 'inherited'; key: string; value: unknown };

function optionEdits(names: readonly string[]): fc.Arbitrary<Edit[]> {
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('hostile' as const), option: fc.nat(), value: hostileValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('misspelt' as const), key: misspelling(names), value: fc.oneof(hostileValue, fc.constant(0.5)) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('inherited' as const), key: fc.constantFrom(...prototypeNames), value: hostileValue }) },
  );
  return fc.array(edit, { minLength: 0, maxLength: 3 });
}

function applyEdits(base: Record<string, unknown>, edits: readonly Edit[], names: readonly string[]): Record<string, unknown> {
  const options = { ...base };
  for (const edit of edits) {
    if (edit.kind === 'hostile') options[names[edit.option % names.length]!] = fresh(edit.value);
    else setOwn(options, edit.key, fresh(edit.value));
  }
  return options;
}

export function optimizerOptions(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const input = fc.integer({ min: 0, max: owners.length - 1 }).chain((which) => {
    const names = owners[which]!.options.map((o) => o.name);
    return fc.record({
      which: fc.constant(which),
      base: fc.record(Object.fromEntries(owners[which]!.options.map((o) => [o.name, validValue(o)])), { requiredKeys: [] }),
      edits: optionEdits(names),
      whole: fc.option(hostileValue, { freq: 20 }),
    });
  });
  spend(budget, (seed, n) => fc.sample(input, { seed, numRuns: n }), ({ which, base, edits, whole }) => {
    const owner = owners[which]!;
    const names = owner.options.map((o) => o.name);
    const options = whole ?? applyEdits(base as Record<string, unknown>, edits, names);
    const p = problem(which, owner.sparse);
    let optimizer: Steppable | null = null;
    judge(counts, `${owner.id} options`, options, () => {
      optimizer = owner.build(p, options);
    }, undefined, () => {
      if (options !== null && typeof options === 'object') {
        for (const key of Object.keys(options)) {
          invariant(names.includes(key), `the unknown option ${JSON.stringify(key)} was kept`);
          const value = (options as Record<string, unknown>)[key];
          if (value !== undefined) invariant(validForSpec(owner.options.find((o) => o.name === key)!, value), `${key} = ${show(value)} is outside the values the registry declares`);
        }
      }
      for (const group of optimizer!.paramGroups) invariant(typeof `${String(group)}` === 'string', 'a param group cannot be printed');
      JSON.stringify(optimizer!.stateDict());
      run(optimizer!, p, 2);
    });
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Option objects: every scheduler

interface SchedulerEntry {
  name: string;
  names: readonly string[];
  valid: Record<string, unknown>;
  build(optimizer: SchedulableOptimizer, options: unknown, children?: unknown): Scheduler;
  /** Schedulers a composite is built over; they change the groups before the composite sees them. */
  children?(optimizer: SchedulableOptimizer): unknown;
}

const schedulerTable: SchedulerEntry[] = [
  { name: 'StepLR', names: optionNames.stepDecay, valid: { stepSize: 2, gamma: 0.5 }, build: (o, x) => new StepLR(o, x as never) },
  { name: 'MultiStepLR', names: optionNames.multiStepDecay, valid: { milestones: [1, 3] }, build: (o, x) => new MultiStepLR(o, x as never) },
  { name: 'ConstantLR', names: optionNames.constantFactor, valid: { factor: 0.5, totalIters: 2 }, build: (o, x) => new ConstantLR(o, x as never) },
  { name: 'LinearLR', names: optionNames.linearRamp, valid: { startFactor: 0.5, endFactor: 1, totalIters: 3 }, build: (o, x) => new LinearLR(o, x as never) },
  { name: 'ExponentialLR', names: optionNames.exponentialDecay, valid: { gamma: 0.9 }, build: (o, x) => new ExponentialLR(o, x as never) },
  { name: 'PolynomialLR', names: optionNames.polynomialDecay, valid: { totalIters: 4, power: 2 }, build: (o, x) => new PolynomialLR(o, x as never) },
  { name: 'CosineAnnealingLR', names: optionNames.cosineAnnealing, valid: { TMax: 4, etaMin: 0.001 }, build: (o, x) => new CosineAnnealingLR(o, x as never) },
  { name: 'CosineAnnealingWarmRestarts', names: optionNames.warmRestarts, valid: { T0: 2, TMult: 2 }, build: (o, x) => new CosineAnnealingWarmRestarts(o, x as never) },
  { name: 'WarmupCosineLR', names: optionNames.warmupCosine, valid: { warmupSteps: 2, totalSteps: 6 }, build: (o, x) => new WarmupCosineLR(o, x as never) },
  { name: 'CyclicLR', names: [...optionNames.cyclicWave, ...optionNames.momentumRange, 'baseLr', 'maxLr', 'cycleMomentum'], valid: { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 }, build: (o, x) => new CyclicLR(o, x as never) },
  { name: 'OneCycleLR', names: [...optionNames.oneCyclePhases, ...optionNames.oneCycleLevels, ...optionNames.momentumRange, 'cycleMomentum'], valid: { maxLr: 0.1, totalSteps: 20 }, build: (o, x) => new OneCycleLR(o, x as never) },
  { name: 'ReduceLROnPlateau', names: ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'], valid: { patience: 1, factor: 0.5 }, build: (o, x) => new ReduceLROnPlateau(o, x as never) },
  { name: 'SWALR', names: optionNames.swaAnnealing, valid: { swaLr: 0.05, annealEpochs: 3 }, build: (o, x) => new SWALR(o, x as never) },
  { name: 'LambdaLR', names: ['lrLambda'], valid: { lrLambda: (t: number) => 0.9 ** t }, build: (o, x) => new LambdaLR(o, x as never) },
  { name: 'MultiplicativeLR', names: ['lrLambda'], valid: { lrLambda: () => 0.9 }, build: (o, x) => new MultiplicativeLR(o, x as never) },
  {
    name: 'SequentialLR',
    names: ['schedulers', 'milestones'],
    valid: { milestones: [2] },
    children: (o) => [new LinearLR(o, { totalIters: 2 }), new ExponentialLR(o, { gamma: 0.9 })],
    build: (o, x, children) => {
      const options = x !== null && typeof x === 'object' && !Array.isArray(x) ? { schedulers: children ?? [new LinearLR(o, { totalIters: 2 }), new ExponentialLR(o, { gamma: 0.9 })], ...x } : x;
      return new SequentialLR(o, options as never);
    },
  },
];

/** An optimizer of two groups with momentum, so cycling schedulers find what they move. */
function schedulable(): SGD {
  const params = [0, 1].map(() => new Tensor(new Float32Array(2), [2], { requiresGrad: true }));
  return new SGD([{ params: [params[0]!] }, { params: [params[1]!], lr: 0.2 }], { lr: 0.1, momentum: 0.9 });
}

/**
 * Steps a scheduler a few times; false when it refused a step, as it must past its end (OneCycleLR)
 * or where its lr would leave the finite numbers.
 */
function stepScheduler(scheduler: Scheduler, steps: number): boolean {
  for (let t = 0; t < steps; t++) {
    try {
      scheduler.step(1 - t / 10);
    } catch (error) {
      if (/past the cycle's totalSteps|which is not a finite number/.test((error as Error).message)) return false;
      throw error;
    }
  }
  return true;
}

export function schedulerOptions(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const input = fc.integer({ min: 0, max: schedulerTable.length - 1 }).chain((which) =>
    fc.record({ which: fc.constant(which), edits: optionEdits(schedulerTable[which]!.names), whole: fc.option(hostileValue, { freq: 20 }) }),
  );
  spend(budget, (seed, n) => fc.sample(input, { seed, numRuns: n }), ({ which, edits, whole }) => {
    const entry = schedulerTable[which]!;
    const options = whole ?? applyEdits(entry.valid, edits, entry.names);
    const optimizer = schedulable();
    const children = entry.children?.(optimizer);
    const before = structuredClone(optimizer.paramGroups.map(({ params: _, ...rest }) => rest));
    let scheduler: Scheduler | null = null;
    judge(counts, `${entry.name} options`, options, () => {
      scheduler = entry.build(optimizer, options, children);
    }, () => {
      invariant(sameDocument(optimizer.paramGroups.map(({ params: _, ...rest }) => rest), before), 'the refused scheduler changed the param groups');
    }, () => {
      if (options !== null && typeof options === 'object') {
        for (const key of Object.keys(options)) invariant(entry.names.includes(key), `the unknown option ${JSON.stringify(key)} was kept`);
      }
      stepScheduler(scheduler!, 6);
      for (const group of optimizer.paramGroups) invariant(Number.isFinite(group.lr) && Number.isFinite(group.momentum), `a group's lr or momentum became ${group.lr}, ${group.momentum}`);
      // Its state loads into a twin built the same way.
      const twin = entry.build(schedulable(), options);
      twin.loadStateDict(JSON.parse(JSON.stringify(scheduler!.stateDict())));
    });
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------
// State dicts: a refused load changes nothing, and the optimizer then steps like its twin

function stateDictMutations(owner: (typeof owners)[number]): fc.Arbitrary<{ steps: number; changes: Mutation[] }> {
  return fc.record({ steps: fc.integer({ min: 1, max: 3 }), changes: mutations(owner.options.map((o) => o.name)) });
}

/** State keys that hold sums of squares or maxima of magnitudes: never negative. */
const NON_NEGATIVE_STATE = /sq|square|^sum$|exp_inf|acc_delta|max_/;

/** Whether a loaded state dict holds only what a real run can produce: finite, second moments ≥ 0. */
function plausibleState(document: unknown, key = ''): boolean {
  if (typeof document === 'number') return Number.isFinite(document) && !(NON_NEGATIVE_STATE.test(key) && document < 0);
  if (document === null || typeof document !== 'object') return true;
  return Object.entries(document).every(([k, v]) => plausibleState(v, /^\d+$/.test(k) || k === 'data' || k === 'shape' ? key : k));
}

export function optimizerStateDicts(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const input = fc.integer({ min: 0, max: owners.length - 1 }).chain((which) => fc.record({ which: fc.constant(which), mutation: stateDictMutations(owners[which]!) }));
  spend(budget, (seed, n) => fc.sample(input, { seed, numRuns: n }), ({ which, mutation }) => {
    const owner = owners[which]!;
    const [a, b] = [problem(which, owner.sparse), problem(which, owner.sparse)];
    const lr = owner.options.some((o) => o.name === 'lr' && o.default === undefined) ? { lr: 0.01 } : {};
    const [first, twin] = [owner.build(a, lr), owner.build(b, lr)];
    run(first, a, mutation.steps);
    run(twin, b, mutation.steps);
    const saved = first.stateDict();
    const document = copyDocument(saved);
    mutate(document, mutation.changes);
    judge(counts, `${owner.id} state dict`, { changes: mutation.changes, document }, () => first.loadStateDict(document as never), () => {
      invariant(sameDocument(first.stateDict(), twin.stateDict()), 'the refused load changed the state dict');
      invariant(sameDocument(paramsOf(a), paramsOf(b)), 'the refused load changed the parameters');
      run(first, a, 1);
      run(twin, b, 1);
      invariant(sameDocument(paramsOf(a), paramsOf(b)), 'after the refused load it stepped differently from its untouched twin');
      invariant(sameDocument(first.stateDict(), twin.stateDict()), 'after the refused load its state went another way than its twin\'s');
    }, () => {
      const loaded = first.stateDict() as { state?: unknown };
      JSON.stringify(loaded);
      invariant(plausibleState(loaded.state ?? loaded), `it holds a state no run produces: ${show(loaded.state ?? loaded)}`);
      for (const group of first.paramGroups) {
        for (const option of owner.options) {
          if (option.name in group) invariant(validForSpec(option, group[option.name]), `the group option ${option.name} = ${show(group[option.name])} is invalid`);
        }
        for (const key of Object.keys(group)) invariant(!prototypeNames.includes(key), `the group gained the key ${key}`);
      }
      run(first, a, 1);
    });
  });
  return counts;
}

export function schedulerStateDicts(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const input = fc.record({ which: fc.integer({ min: 0, max: schedulerTable.length - 1 }), steps: fc.integer({ min: 0, max: 4 }), changes: mutations(['kind', 'lastEpoch', 'lastLr', 'baseLrs']) });
  spend(budget, (seed, n) => fc.sample(input, { seed, numRuns: n }), ({ which, steps, changes }) => {
    const entry = schedulerTable[which]!;
    const [optimizerA, optimizerB] = [schedulable(), schedulable()];
    const [first, twin] = [entry.build(optimizerA, entry.valid), entry.build(optimizerB, entry.valid)];
    stepScheduler(first, steps);
    stepScheduler(twin, steps);
    const document = copyDocument(first.stateDict());
    mutate(document, changes);
    const lrs = (o: SGD): number[] => o.paramGroups.map((g) => g.lr);
    judge(counts, `${entry.name} state dict`, { changes, document }, () => first.loadStateDict(document as never), () => {
      invariant(sameDocument(first.stateDict(), twin.stateDict()), 'the refused load changed the scheduler');
      stepScheduler(first, 2);
      stepScheduler(twin, 2);
      invariant(sameDocument(lrs(optimizerA), lrs(optimizerB)), 'after the refused load it set other lrs than its untouched twin');
    }, () => {
      JSON.stringify(first.stateDict());
      for (const lr of first.getLastLr()) invariant(Number.isFinite(lr), `it reports the lr ${lr}`);
      stepScheduler(first, 2);
      for (const lr of lrs(optimizerA)) invariant(!Number.isNaN(lr), 'a later step set a NaN lr');
    });
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Checkpoint files: corrupted bytes, and lying payloads with a valid checksum

function trainingObjects(): { objects: TrainingObjects & { scheduler: Scheduler; generators: Generator[] }; model: Linear; optimizer: Adam; data: Generator } {
  const data = new Generator(3);
  const model = new Linear(3, 2, { generator: new Generator(1) });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  return { objects: { model, optimizer, scheduler, generators: [data] }, model, optimizer, data };
}

/** One training step on data drawn from the run's generator. */
function trainStep(t: ReturnType<typeof trainingObjects>): void {
  const x = new Tensor(Float32Array.from({ length: 6 }, () => t.data.normal()), [2, 3]);
  t.optimizer.zeroGrad();
  t.model.forward(x).square().mean().backward();
  t.optimizer.step();
  t.objects.scheduler.step();
}

function snapshot(t: ReturnType<typeof trainingObjects>): unknown {
  return { model: t.model.stateDict(), optimizer: t.optimizer.stateDict(), scheduler: t.objects.scheduler.stateDict(), data: t.data.getState() };
}

/**
 * A version 1 (JSON) checkpoint file around any payload text, its header telling the truth about
 * the bytes: hostile payloads reach the restore code through the format that carries any JSON.
 */
function checkpointWithValidChecksum(payload: string): Uint8Array {
  const body = Buffer.from(payload, 'utf8');
  const header = JSON.stringify({ format: CHECKPOINT_FORMAT, version: 1, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  return Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), body]);
}

type FileDamage = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; keep: number } | { kind: 'append'; junk: number[] } | { kind: 'payload'; changes: Mutation[] };

export function checkpointFiles(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const damage: fc.Arbitrary<FileDamage> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
    fc.record({ kind: fc.constant('append' as const), junk: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }) }),
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('payload' as const), changes: mutations(['format', 'epoch', 'model', 'optimizer', 'scheduler', 'generators']) }) },
  );
  spend(budget, (seed, n) => fc.sample(damage, { seed, numRuns: n }), (change) => {
    const [first, twin] = [trainingObjects(), trainingObjects()];
    trainStep(first);
    trainStep(twin);
    const payload = captureTraining(first.objects, 1);
    let bytes: Uint8Array = encodeCheckpoint(payload);
    if (change.kind === 'flip') {
      bytes = Uint8Array.from(bytes);
      bytes[change.at % bytes.length]! ^= 1 << change.bit;
    } else if (change.kind === 'truncate') {
      bytes = bytes.subarray(0, change.keep % bytes.length);
    } else if (change.kind === 'append') {
      bytes = Uint8Array.from([...bytes, ...change.junk]);
    } else {
      const document = copyDocument(payload);
      mutate(document, change.changes);
      bytes = checkpointWithValidChecksum(jsonText(document));
    }
    judge(counts, 'checkpoint', change, () => restoreTraining(decodeCheckpoint(bytes, 'fuzz.ckpt'), first.objects, 'fuzz.ckpt'), () => {
      invariant(sameDocument(snapshot(first), snapshot(twin)), 'the refused checkpoint changed the training objects');
      trainStep(first);
      trainStep(twin);
      invariant(sameDocument(snapshot(first), snapshot(twin)), 'after the refused checkpoint it trained differently from its twin');
    }, () => {
      invariant(plausibleState((first.optimizer.stateDict() as { state: unknown }).state), 'it restored an optimizer state no run produces');
      for (const lr of first.objects.scheduler.getLastLr()) invariant(Number.isFinite(lr), `it restored the lr ${lr}`);
      trainStep(first);
    });
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------
// safetensors files: lying headers and damaged bytes

/** A safetensors file holding a few arrays (the writer's layout: aligned, in order, no gaps). */
function safetensorsFile(): { header: Record<string, unknown>; data: Uint8Array } {
  // Widest elements first and no gaps: the byte ranges tile the data, as the format requires.
  const arrays = { x: new Float32Array([1, 2, 3, 4, 5, 6]), z: new Int32Array([7, -8]), y: new Uint8Array([0, 1, 2]) };
  const header: Record<string, unknown> = { __metadata__: { format: 'fuzz' } };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, values] of Object.entries(arrays)) {
    const bytes = new Uint8Array(values.buffer.slice(0));
    header[name] = { dtype: values instanceof Float32Array ? 'F32' : values instanceof Uint8Array ? 'U8' : 'I32', shape: name === 'x' ? [2, 3] : [values.length], data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { header, data };
}

function encodeSafetensors(header: unknown, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const json = new TextEncoder().encode(jsonText(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, json.length + lengthDelta)), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export function safetensorsFiles(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const damage = fc.record({ changes: mutations(['dtype', 'shape', 'data_offsets', '__metadata__']), lengthDelta: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })), truncate: fc.option(fc.nat(), { freq: 5 }) });
  spend(budget, (seed, n) => fc.sample(damage, { seed, numRuns: n }), ({ changes, lengthDelta, truncate }) => {
    const { header, data } = safetensorsFile();
    const document = copyDocument(header);
    mutate(document, changes);
    let bytes = encodeSafetensors(document, data, lengthDelta);
    if (truncate !== null) bytes = bytes.subarray(0, truncate % bytes.length);
    let parsed: ReturnType<typeof decodeSafetensors> | null = null;
    judge(counts, 'safetensors', { changes, lengthDelta, truncate }, () => {
      parsed = decodeSafetensors(bytes, 'fuzz.safetensors');
    }, undefined, () => {
      for (const [name, entry] of parsed!.tensors) {
        const count = entry.shape.reduce((m, d) => m * d, 1);
        invariant(entry.data.length === count, `array ${name} has ${entry.data.length} values for the shape ${show(entry.shape)}`);
      }
    });
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------
// The two kernel paths on edge-case tensors

/** The shape itself, or a one-row matrix of it for an optimizer of matrices only (Muon). */
function acceptedShape(spec: (typeof optimizerSpecs)[number], shape: readonly number[]): number[] {
  return spec.acceptsParam?.(shape) == null ? [...shape] : shape.length === 1 ? [1, shape[0]!] : [...shape];
}

const fusedOwners = optimizerSpecs.filter((spec) => {
  const probe = new Tensor(new Float32Array(1), acceptedShape(spec, [1]), { requiresGrad: true });
  return spec.create([probe], spec.defaults.lr === undefined ? { lr: 0.1 } : {}) instanceof KernelOptimizer;
});

/** Values at float32's edges: NaN, ±∞, ±0, subnormals, the largest finite, and ordinary numbers. */
const edgeValue = fc.oneof(
  { weight: 3, arbitrary: fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1.4e-45, 3.4e38, -3.4e38, 1e19, -1e19, 1e-20) },
);

interface PathCase {
  which: number;
  shapes: number[][];
  /** Values for params and gradients, taken cyclically. */
  values: number[];
  grads: number[];
  options: Record<string, unknown>;
  steps: number;
  /** A param listed in two groups (PyTorch refuses this). */
  repeated: boolean;
}

/**
 * The rule the two paths keep (docs/ARCHITECTURE.md, "Edge cases on the two kernel paths"),
 * element by element:
 * - finite inputs of ordinary size give values that agree (rtol 1e-4, atol 1e-5);
 * - a NaN or ±∞ input: the same elements are finite on both paths, and agree; the non-finite
 *   ones may be NaN on one path and ±∞ on the other;
 * - a finite input so large that a float32 intermediate overflows (|x| ≥ 1e18, its square leaves
 *   float32): the WebAssembly kernels, in float32, may give ±∞ or NaN where the plain ones, in
 *   doubles, stay finite; nothing is compared.
 */
function samePaths(js: Float32Array, wasm: Float32Array, inputs: readonly number[]): string | null {
  const overflowing = inputs.some((v) => Number.isFinite(v) && Math.abs(v) >= 1e18);
  const nonFinite = inputs.some((v) => !Number.isFinite(v));
  if (overflowing) return null;
  for (let i = 0; i < js.length; i++) {
    const [a, b] = [js[i]!, wasm[i]!];
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const bothFinite = Number.isFinite(a) && Number.isFinite(b);
    if (bothFinite ? Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b) : nonFinite && !Number.isFinite(a) && !Number.isFinite(b)) continue;
    return `element ${i}: JavaScript ${a}, WebAssembly ${b}`;
  }
  return null;
}

export function kernelPaths(budget: FuzzBudget): FuzzCounts {
  const counts = emptyCounts();
  const input: fc.Arbitrary<PathCase> = fc.integer({ min: 0, max: fusedOwners.length - 1 }).chain((which) =>
    fc.record({
      which: fc.constant(which),
      shapes: fc.array(fc.constantFrom([0], [1], [3], [2, 2], [5], [9], [0, 3]), { minLength: 1, maxLength: 3 }),
      values: fc.array(edgeValue, { minLength: 1, maxLength: 12 }),
      grads: fc.array(edgeValue, { minLength: 1, maxLength: 12 }),
      // Betas from 0.05 up, as in test/optim.paths.test.ts: below, the WebAssembly running means
      // m + (1 − β)(g − m) drift from the plain β·m + (1 − β)·g by ~2⁻²⁴/β (documented there).
      options: fc
        .record(Object.fromEntries(fusedOwners[which]!.options.map((o) => [o.name, validValue(o)])), { requiredKeys: [] })
        .filter((o) => !Array.isArray(o.betas) || o.betas.every((b: number) => b >= 0.05)),
      steps: fc.integer({ min: 1, max: 2 }),
      repeated: fc.boolean(),
    }),
  );
  spend(budget, (seed, n) => fc.sample(input, { seed, numRuns: n }), (c) => {
    const spec = fusedOwners[c.which]!;
    const sparse = spec.gradients === 'sparse';
    const options = { ...c.options, ...(spec.defaults.lr === undefined && c.options.lr === undefined ? { lr: 0.01 } : {}) };
    const runOn = (backend: 'js' | 'wasm'): Float32Array[] =>
      withKernelBackend(backend, () => {
        let k = 0;
        const params = c.shapes.map((shape) => new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => c.values[k++ % c.values.length]!), acceptedShape(spec, shape), { requiresGrad: true }));
        const groups = c.repeated ? [{ params }, { params: [params[0]!] }] : [{ params }];
        const optimizer = spec.create(groups as never, options as never);
        for (let t = 0; t < c.steps; t++) {
          params.forEach((p, j) => {
            const grad = new Tensor(Float32Array.from(p.data, (_, i) => c.grads[(i + j + t) % c.grads.length]!), [...p.shape]);
            p.grad = sparse && p.shape.length > 0 && p.shape[0]! > 0 ? sparseRows(Array.from({ length: p.shape[0]! }, (_, r) => r), grad, [...p.shape]) : sparse ? null : grad;
          });
          optimizer.step();
        }
        return params.map((p) => Float32Array.from(p.data));
      });
    let js: Float32Array[] = [];
    let jsRefusal: string | null = null;
    try {
      js = runOn('js');
    } catch (error) {
      jsRefusal = (error as Error).message;
    }
    let wasm: Float32Array[] = [];
    judge(counts, `${spec.id} on both paths`, c, () => {
      wasm = runOn('wasm');
    }, () => {
      invariant(jsRefusal !== null, 'the WebAssembly path refused what the JavaScript path ran');
    }, () => {
      invariant(jsRefusal === null, `the JavaScript path refused (${jsRefusal}) what the WebAssembly path ran`);
      js.forEach((values, j) => {
        const differs = samePaths(values, wasm[j]!, [...c.values, ...c.grads]);
        invariant(differs === null, `param ${j}: ${differs}`);
      });
    });
  });
  return counts;
}

/** Every target, by name, as `npm run fuzz` and the test run them. */
export const targets: Readonly<Record<string, (budget: FuzzBudget) => FuzzCounts>> = {
  'optimizer options': optimizerOptions,
  'scheduler options': schedulerOptions,
  'optimizer state dicts': optimizerStateDicts,
  'scheduler state dicts': schedulerStateDicts,
  'checkpoint files': checkpointFiles,
  'safetensors files': safetensorsFiles,
  'kernel paths': kernelPaths,
};

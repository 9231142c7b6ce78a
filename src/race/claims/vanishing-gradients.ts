/**
 * Claim 3: gradients vanish in deep sigmoid networks. The norm of each layer's weight gradient
 * at initialization, over seeds, in a deep MLP of sigmoids with PyTorch's default
 * initialization, against the control that cures it: the same depth with ReLU and Kaiming
 * (He) initialization. Then SGD and Adam train the sigmoid network a few steps, to show how far
 * each layer moves relative to its size.
 */
import { Tensor } from '../../tensor/tensor.js';
import { Generator } from '../../tensor/random.js';
import * as F from '../../nn/functional.js';
import { kaimingNormal_, zeros_ } from '../../nn/init.js';
import { Linear, ReLU, Sigmoid, type Module } from '../../nn/index.js';
import { DataLoader, TensorDataset } from '../../data/index.js';
import { BUDGETS } from '../budget.js';
import { raceEntry } from '../entries.js';
import { endlessBatches, trainClassifier, type ClassifierTask } from '../harness.js';
import { l2 } from '../probes.js';
import { interval, verdictOf, ruleText, winCount, mean } from '../stats.js';
import { mlp, mnistTask } from '../tasks.js';
import { defineClaim, type Budget, type TrialEnv } from '../types.js';
import { num } from './format.js';

interface Settings {
  readonly depth: number;
  readonly width: number;
  /** Mini-batches the gradient norms are averaged over. */
  readonly batches: number;
  /** Training steps of SGD and Adam on the sigmoid network. */
  readonly steps: number;
}

/** "Vanishing": the first layer's gradient under a tenth of the last layer's, log₁₀ ratio < −1. */
const VANISHING_LOG_RATIO = -1;
const OPTIMIZERS = ['sgd', 'adam'] as const;

type Architecture = 'sigmoid' | 'relu-kaiming';

interface Spec {
  readonly budget: Budget;
  readonly seed: number;
  readonly architecture: Architecture;
  /** null: measure the gradient norms at initialization; an id: train with it and measure how far each layer moved. */
  readonly optimizer: string | null;
  readonly settings: Settings;
}

interface Result {
  /** Per weight matrix, first to last: ‖∂L/∂W‖ at init, or ‖ΔW‖/‖W₀‖ after training. */
  readonly perLayer: readonly number[];
}

function buildModel(architecture: Architecture, sizes: readonly number[], generator: Generator): Module {
  if (architecture === 'sigmoid') return mlp(sizes, () => new Sigmoid(), generator);
  const model = mlp(sizes, () => new ReLU(), generator);
  // He et al. (2015): N(0, 2/fan_in) keeps the activations' variance through ReLU layers.
  for (const layer of model.modules()) {
    if (!(layer instanceof Linear)) continue;
    kaimingNormal_(layer.weight, { nonlinearity: 'relu', generator });
    if (layer.bias) zeros_(layer.bias);
  }
  return model;
}

function weightsOf(model: Module): Tensor[] {
  return model
    .namedParameters()
    .filter(([name]) => name.endsWith('weight'))
    .map(([, w]) => w);
}

function runTrial(spec: Spec, env: TrialEnv): Result {
  const budget = BUDGETS[spec.budget];
  const task = mnistTask(env.datasets, budget.mnist);
  const { depth, width, batches, steps } = spec.settings;
  const sizes = [task.train.x.shape[1]!, ...Array<number>(depth).fill(width), 10];
  const deepTask: ClassifierTask = { ...task, name: `deep-${spec.architecture}`, buildModel: (g) => buildModel(spec.architecture, sizes, g) };
  if (spec.optimizer !== null) {
    const initial = weightsOf(deepTask.buildModel(new Generator(spec.seed))).map((w) => Float64Array.from(w.data));
    const entry = raceEntry(spec.optimizer);
    const run = trainClassifier(deepTask, entry.factory(), { steps, batchSize: budget.batchSize, seed: spec.seed, lr: entry.centerLr.network });
    return {
      perLayer: weightsOf(run.model).map((w, k) => {
        const start = initial[k]!;
        return l2(Float64Array.from(w.data, (v, i) => v - start[i]!)) / l2(start);
      }),
    };
  }
  const model = deepTask.buildModel(new Generator(spec.seed));
  const weights = weightsOf(model);
  const loader = new DataLoader(new TensorDataset(task.train.x, task.train.y), { batchSize: budget.batchSize, shuffle: true, dropLast: true, generator: new Generator(spec.seed + 3) });
  const stream = endlessBatches(loader);
  const norms = new Array<number>(weights.length).fill(0);
  for (let b = 0; b < batches; b++) {
    const [x, y] = stream.next().value as [Tensor, Tensor];
    model.zeroGrad();
    F.crossEntropy(model.call(x) as Tensor, y).backward();
    weights.forEach((w, k) => (norms[k]! += l2((w.grad as Tensor).data) / batches));
  }
  return { perLayer: norms };
}

const logRatio = (perLayer: readonly number[]): number => Math.log10(perLayer[0]! / perLayer[perLayer.length - 1]!);

export const vanishingGradients = defineClaim<Settings, Spec, Result>({
  id: 'vanishing-gradients',
  number: 3,
  title: 'Gradients vanish in deep sigmoid networks',
  statement: 'Through many sigmoid layers the gradient shrinks layer by layer, so the first layers barely learn.',
  literature: ['Hochreiter (1991); Bengio, Simard & Frasconi (1994)', 'Glorot & Bengio (2010), Understanding the difficulty of training deep feedforward networks', 'He et al. (2015), Delving deep into rectifiers (Kaiming initialization)'],
  requires: { all: [], oneOf: [] },
  budgets: {
    quick: { depth: 6, width: 32, batches: 2, steps: 20 },
    default: { depth: 8, width: 32, batches: 8, steps: 100 },
    full: { depth: 10, width: 64, batches: 16, steps: 300 },
  },
  shared: [],
  seeded: true,
  trials(plan) {
    const base = { budget: plan.budget.name, settings: plan.settings };
    return plan.seeds.flatMap((seed) => [
      { ...base, seed, architecture: 'sigmoid' as const, optimizer: null },
      { ...base, seed, architecture: 'relu-kaiming' as const, optimizer: null },
      ...OPTIMIZERS.filter((id) => plan.has(id)).map((optimizer) => ({ ...base, seed, architecture: 'sigmoid' as const, optimizer })),
    ]);
  },
  runTrial,
  conclude(done, plan) {
    const { depth, width, batches, steps } = plan.settings;
    const of = (architecture: Architecture, optimizer: string | null) => plan.seeds.map((seed) => done.find((d) => d.spec.seed === seed && d.spec.architecture === architecture && d.spec.optimizer === optimizer)!.result.perLayer);
    const sigmoid = of('sigmoid', null);
    const control = of('relu-kaiming', null);
    const sigmoidRatios = sigmoid.map(logRatio);
    const controlRatios = control.map(logRatio);
    const effect = interval(sigmoidRatios);
    const controlEffect = interval(controlRatios);
    const verdict = verdictOf(effect, 'below', VANISHING_LOG_RATIO);
    const layers = sigmoid[0]!.map((_, k) => `W${k + 1}`);
    const meanPerLayer = (runs: ReadonlyArray<readonly number[]>) => layers.map((_, k) => mean(runs.map((r) => r[k]!)));
    const updates = OPTIMIZERS.filter((id) => plan.has(id)).map((id) => ({ id, perLayer: meanPerLayer(of('sigmoid', id)) }));
    const wins = winCount(plan.seeds.length, (k) => sigmoidRatios[k]! < controlRatios[k]!, 'the sigmoid network\'s first-to-last gradient ratio below the ReLU + Kaiming control\'s');
    const times = (log: number) => num(10 ** log);
    return {
      verdict,
      rule: ruleText('log₁₀(‖∂L/∂W₁‖ / ‖∂L/∂W_last‖) in the sigmoid network, over seeds', 'below', VANISHING_LOG_RATIO),
      effect,
      wins,
      perSeed: { sigmoidLog10Ratio: sigmoidRatios, controlLog10Ratio: controlRatios },
      method: `An MLP with ${depth} hidden sigmoid layers of width ${width} (PyTorch's default initialization) on the table task's digits: the norm of each weight matrix's gradient at initialization, averaged over ${batches} mini-batches of ${plan.budget.batchSize}, for each of ${plan.seeds.length} seeds (initial weights and batches change with the seed). The control is the same depth and width with ReLU and Kaiming-normal initialization (zero biases), on the same batches. Then ${steps} steps of SGD (lr ${raceEntry('sgd').centerLr.network}) and Adam (lr ${raceEntry('adam').centerLr.network}) on the sigmoid network show how far each layer moves relative to its size.`,
      summary: `Sigmoid: the first layer gets ${times(effect.mean)}× the last layer's gradient (log₁₀ ${num(effect.mean)}, 95 % interval ${num(effect.lo)} to ${num(effect.hi)}); ReLU + Kaiming at the same depth: ${times(controlEffect.mean)}× (log₁₀ ${num(controlEffect.lo)} to ${num(controlEffect.hi)}). Lower in the sigmoid network in ${wins.count}/${wins.of} seeds.`,
      interpretation: `Each sigmoid layer multiplies the backward signal by σ′ ≤ 1/4 times a weight matrix whose default initialization keeps its gain below 1, so the gradient shrinks geometrically with depth. ReLU passes half the signal with derivative 1 and Kaiming's variance 2/fan_in compensates the other half, so the control's ratio stays near 1: the cause is the activation and its initialization, not the depth alone. A per-coordinate step (Adam) moves the first layers despite their tiny gradients; SGD follows the gradient and barely moves them.`,
      values: {
        depth,
        width,
        sigmoidGradientNorms: meanPerLayer(sigmoid),
        controlGradientNorms: meanPerLayer(control),
        control: { mean: controlEffect.mean, sd: controlEffect.sd, lo: controlEffect.lo, hi: controlEffect.hi },
        relativeUpdates: Object.fromEntries(updates.map((u) => [u.id, u.perLayer])),
      },
      table: {
        headers: ['layer', '‖∂L/∂W‖ sigmoid', '‖∂L/∂W‖ ReLU + Kaiming', ...updates.map((u) => `‖ΔW‖/‖W₀‖ ${raceEntry(u.id).label}`)],
        rows: layers.map((name, k) => [name, num(meanPerLayer(sigmoid)[k]!), num(meanPerLayer(control)[k]!), ...updates.map((u) => num(u.perLayer[k]!))]),
      },
      figures: [
        {
          kind: 'bar',
          name: 'claim-3-gradient-norms',
          title: `‖∂L/∂W‖ per layer at initialization, ${depth} hidden layers of ${width} (mean of ${plan.seeds.length} seeds)`,
          categories: layers,
          yLabel: 'gradient norm',
          logY: true,
          series: [
            { label: 'sigmoid, default init', color: 'variant-1', values: meanPerLayer(sigmoid) },
            { label: 'ReLU, Kaiming init', color: 'variant-2', values: meanPerLayer(control) },
          ],
        },
        ...(updates.length > 0
          ? [
              {
                kind: 'bar' as const,
                name: 'claim-3-relative-updates',
                title: `Relative change ‖ΔW‖/‖W₀‖ per layer of the sigmoid network after ${steps} steps`,
                categories: layers,
                yLabel: '‖ΔW‖ / ‖W₀‖',
                logY: true,
                series: updates.map((u) => ({ label: raceEntry(u.id).label, color: u.id, values: u.perLayer })),
              },
            ]
          : []),
      ],
    };
  },
});

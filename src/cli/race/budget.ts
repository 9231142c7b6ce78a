/**
 * How much work each race budget does. `quick` must finish in under a minute on two CI
 * cores, the default in under ten; `full` runs longer and sweeps more finely.
 */
import type { Budget } from './results.js';
import type { MnistTaskOptions } from './tasks.js';

export interface BudgetConfig {
  readonly name: Budget;
  /** Steps per run on a 2-D surface. */
  readonly surfaceSteps: number;
  /** Learning-rate multipliers of an entry's surface centre, tried on every surface. */
  readonly surfaceLrFactors: readonly number[];
  /** Learning-rate multipliers of an entry's network centre, tried on the table task. */
  readonly networkLrFactors: readonly number[];
  readonly mnist: MnistTaskOptions & { readonly validationSize: number };
  readonly batchSize: number;
  /** Training steps per run on the table task (and the sweeps on it). */
  readonly tableSteps: number;
  /** A run reaches the target when its running (EMA) training loss falls to this. */
  readonly lossTarget: number;
  /** Claim 3: depth and width of the sigmoid MLP, and training steps for the update-size probe. */
  readonly deep: { readonly depth: number; readonly width: number; readonly steps: number; readonly batches: number };
  /** Claim 4: emails used and epochs of logistic regression. */
  readonly spam: { readonly trainSize: number; readonly testSize: number; readonly epochs: number; readonly batchSize: number; readonly lrFactors: readonly number[] };
  /** Claim 5: steps of the drifting-target regression and its dimension. */
  readonly drift: { readonly steps: number; readonly dimension: number };
  /** Claim 6: steps compared with and without bias correction. */
  readonly biasSteps: number;
  /** Claims 8, 9, 12: training steps on MNIST. */
  readonly generalizationSteps: number;
  /** Claim 9: weight decays swept for Adam + L2 and AdamW. */
  readonly weightDecays: readonly number[];
  /** Claim 10: the large batch and the epochs both batch sizes get. */
  readonly largeBatch: { readonly batchSize: number; readonly epochs: number };
  /** Claim 11: learning-rate multipliers of Adam's default, seeds, steps. */
  readonly sensitivity: { readonly factors: readonly number[]; readonly seeds: number; readonly steps: number };
  /** Claim 12: random directions per sharpness estimate. */
  readonly sharpnessSamples: number;
}

const decades = (lo: number, hi: number, perDecade: number): number[] => {
  const out: number[] = [];
  for (let k = lo * perDecade; k <= hi * perDecade; k++) out.push(Number((10 ** (k / perDecade)).toPrecision(3)));
  return out;
};

export const BUDGETS: Readonly<Record<Budget, BudgetConfig>> = {
  quick: {
    name: 'quick',
    surfaceSteps: 150,
    surfaceLrFactors: decades(-2, 2, 1),
    networkLrFactors: [0.3, 1, 3, 10],
    mnist: { side: 14, trainSize: 1200, testSize: 500, validationSize: 300, hidden: [32], splitSeed: 0 },
    batchSize: 32,
    tableSteps: 100,
    lossTarget: 0.8,
    deep: { depth: 6, width: 32, steps: 30, batches: 4 },
    spam: { trainSize: 1200, testSize: 500, epochs: 1, batchSize: 32, lrFactors: [0.3, 3, 30] },
    drift: { steps: 1000, dimension: 10 },
    biasSteps: 50,
    generalizationSteps: 200,
    weightDecays: [1e-3, 1e-1],
    largeBatch: { batchSize: 256, epochs: 2 },
    sensitivity: { factors: [1, 3, 10, 30], seeds: 2, steps: 60 },
    sharpnessSamples: 6,
  },
  default: {
    name: 'default',
    surfaceSteps: 400,
    surfaceLrFactors: decades(-2, 2, 2),
    networkLrFactors: [0.1, 0.3, 1, 3, 10],
    mnist: { side: 14, trainSize: 5000, testSize: 1667, validationSize: 1000, hidden: [64], splitSeed: 0 },
    batchSize: 32,
    tableSteps: 400,
    lossTarget: 0.4,
    deep: { depth: 8, width: 32, steps: 100, batches: 8 },
    spam: { trainSize: 4837, testSize: 1209, epochs: 2, batchSize: 32, lrFactors: [0.1, 0.3, 1, 3, 10, 30, 100] },
    drift: { steps: 4000, dimension: 20 },
    biasSteps: 150,
    generalizationSteps: 1500,
    weightDecays: [1e-4, 1e-3, 1e-2, 1e-1],
    largeBatch: { batchSize: 512, epochs: 5 },
    sensitivity: { factors: [0.3, 1, 3, 10, 30], seeds: 3, steps: 300 },
    sharpnessSamples: 20,
  },
  full: {
    name: 'full',
    surfaceSteps: 1000,
    surfaceLrFactors: decades(-2, 2, 4),
    networkLrFactors: [0.1, 0.2, 0.5, 1, 2, 5, 10],
    mnist: { side: 28, trainSize: 7333, testSize: 1667, validationSize: 1000, hidden: [128], splitSeed: 0 },
    batchSize: 32,
    tableSteps: 1500,
    lossTarget: 0.3,
    deep: { depth: 10, width: 64, steps: 300, batches: 16 },
    spam: { trainSize: 4837, testSize: 1209, epochs: 5, batchSize: 32, lrFactors: [0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300] },
    drift: { steps: 10000, dimension: 40 },
    biasSteps: 400,
    generalizationSteps: 3000,
    weightDecays: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
    largeBatch: { batchSize: 1024, epochs: 5 },
    sensitivity: { factors: [0.1, 0.3, 1, 3, 10, 30, 100], seeds: 5, steps: 1000 },
    sharpnessSamples: 50,
  },
};

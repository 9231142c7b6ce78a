/**
 * What the race's three budgets share: how many seeds, the table task (MNIST) and its sweep,
 * and the 2-D surfaces. Each claim declares its own settings per budget in its own file.
 * Targets on two cores with `--workers 2`: `quick` ≤ 20 s, default ≤ 3 min, `full` ≤ 20 min.
 */
import type { Budget } from './types.js';
import type { MnistTaskOptions } from './tasks.js';

export interface BudgetConfig {
  readonly name: Budget;
  /** Seeds every stochastic experiment runs over (--seeds overrides). */
  readonly seeds: number;
  /** Steps per run on a 2-D surface. */
  readonly surfaceSteps: number;
  /** Learning-rate multipliers of an entry's surface centre, tried on every surface. */
  readonly surfaceLrFactors: readonly number[];
  /** Learning-rate multipliers of an entry's network centre, tried on the table task. */
  readonly networkLrFactors: readonly number[];
  readonly mnist: MnistTaskOptions;
  readonly batchSize: number;
  /** Training steps per run on the table task (and the sweeps on it). */
  readonly tableSteps: number;
  /** A run reaches the target when its running (EMA) training loss falls to this. */
  readonly lossTarget: number;
  /** The table's ms/step: interleaved rounds of a few steps per optimizer. */
  readonly timing: { readonly rounds: number; readonly steps: number };
}

/** Powers of ten from 10^lo to 10^hi, `perDecade` to a decade, 3 significant digits. */
export function decades(lo: number, hi: number, perDecade: number): number[] {
  const out: number[] = [];
  for (let k = lo * perDecade; k <= hi * perDecade; k++) out.push(Number((10 ** (k / perDecade)).toPrecision(3)));
  return out;
}

export const BUDGETS: Readonly<Record<Budget, BudgetConfig>> = {
  quick: {
    name: 'quick',
    seeds: 3,
    surfaceSteps: 150,
    surfaceLrFactors: decades(-2, 2, 1),
    networkLrFactors: [0.3, 1, 3],
    mnist: { side: 14, trainSize: 1200, testSize: 500, validationSize: 300, hidden: [32], splitSeed: 0 },
    batchSize: 32,
    tableSteps: 100,
    lossTarget: 0.8,
    timing: { rounds: 5, steps: 16 },
  },
  default: {
    name: 'default',
    seeds: 5,
    surfaceSteps: 400,
    surfaceLrFactors: decades(-2, 2, 2),
    networkLrFactors: [0.1, 0.3, 1, 3, 10],
    mnist: { side: 14, trainSize: 5000, testSize: 1667, validationSize: 1000, hidden: [64], splitSeed: 0 },
    batchSize: 32,
    tableSteps: 400,
    lossTarget: 0.4,
    timing: { rounds: 7, steps: 24 },
  },
  full: {
    name: 'full',
    seeds: 10,
    surfaceSteps: 1000,
    surfaceLrFactors: decades(-2, 2, 4),
    networkLrFactors: [0.1, 0.2, 0.5, 1, 2, 5, 10],
    // 14 × 14 digits, as by default: at 28 × 28 with 128 hidden units a step costs about 6×
    // as much, and 10 seeds of every optimizer at a finer lr grid and 3.75× the steps tell more.
    mnist: { side: 14, trainSize: 7333, testSize: 1667, validationSize: 1000, hidden: [64], splitSeed: 0 },
    batchSize: 32,
    tableSteps: 1500,
    lossTarget: 0.3,
    timing: { rounds: 9, steps: 32 },
  },
};

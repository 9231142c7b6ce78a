/**
 * Shared run: the lecture's comparison table, measured. Every dense optimizer trains the
 * table task (an MLP on MNIST digits); its learning rate is swept on the base seed (the grid
 * extended by up to two steps beyond an edge where the best lies), then the chosen lr trains
 * on every other seed. SparseAdam, which needs row-sparse gradients, is measured the same way
 * on the sparse task (logistic regression on SpamAssassin emails) in a block of its own.
 */
import { BUDGETS } from '../budget.js';
import { raceEntry } from '../entries.js';
import { trainClassifier, firstBelow, interleavedStepTimes, smooth, tailMean } from '../harness.js';
import { parameterCount, stateBytes, stateDictBytes } from '../probes.js';
import { sparseTask, trainSparseLogistic } from '../sparse.js';
import { mean, median, quantile, sd } from '../stats.js';
import { bestPoint, edgeExtension, finiteScore, lrGrid } from '../sweep.js';
import { mnistTask } from '../tasks.js';
import type { Budget, ClaimPlan, Experiment, OverSeeds, TableOutcome, TableRow, TrialEnv, TrialRecord } from '../types.js';

/** The sparse block's task and sweep, per budget. */
export const SPARSE_TABLE = {
  quick: { trainSize: 1200, testSize: 500, epochs: 1, batchSize: 32, lrFactors: [0.3, 3, 30] },
  default: { trainSize: 4837, testSize: 1209, epochs: 2, batchSize: 32, lrFactors: [0.1, 0.3, 1, 3, 10, 30] },
  full: { trainSize: 4837, testSize: 1209, epochs: 5, batchSize: 32, lrFactors: [0.03, 0.1, 0.3, 1, 3, 10, 30, 100] },
} as const;

/** Steps beyond an edge of the lr grid when the best lies there. */
const EDGE_EXTENSIONS = 2;
/** A run whose final loss is no better than 98 % of guessing among 10 classes has failed. */
const CHANCE_LOSS = Math.log(10);

export interface TableTrialSpec {
  readonly budget: Budget;
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  /** Sweep trials choose the lr (base seed); seed trials repeat the chosen lr. */
  readonly phase: 'sweep' | 'seed';
}

/** One trial times every table-task optimizer at its chosen lr, interleaved. */
export interface TimingTrialSpec {
  readonly budget: Budget;
  readonly phase: 'timing';
  readonly seed: number;
  readonly contestants: ReadonlyArray<{ readonly optimizer: string; readonly lr: number }>;
}

export interface TimingTrialResult {
  /** ms per step, [contestant][round]. */
  readonly times: ReadonlyArray<readonly number[]>;
}

export interface TableTrialResult {
  /** Mean training loss over the last fifth of the steps (+∞ when diverged). */
  readonly score: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly diverged: boolean;
  /** The running (EMA) training loss per step. */
  readonly curve: readonly number[];
  readonly stepsToTarget: number | null;
  readonly stateBytesPerParam: number;
  readonly stateDictBytesPerParam: number | null;
  readonly declaredStateBytesPerParam: number | null;
  readonly msPerStep: number;
}

function runTimingTrial(spec: TimingTrialSpec, env: TrialEnv): TimingTrialResult {
  const budget = BUDGETS[spec.budget];
  const task = mnistTask(env.datasets, budget.mnist);
  const contestants = spec.contestants.map((c) => ({ factory: raceEntry(c.optimizer).factory(), lr: c.lr }));
  return { times: interleavedStepTimes(task, contestants, { ...budget.timing, batchSize: budget.batchSize, seed: spec.seed, now: env.now }) };
}

function runTableTrial(spec: TableTrialSpec, env: TrialEnv): TableTrialResult {
  const budget = BUDGETS[spec.budget];
  const entry = raceEntry(spec.optimizer);
  if (entry.gradients === 'sparse') {
    const settings = SPARSE_TABLE[spec.budget];
    const task = sparseTask(env.datasets, settings.trainSize, settings.testSize);
    const run = trainSparseLogistic(task, entry.factory(), { lr: spec.lr, epochs: settings.epochs, batchSize: settings.batchSize, seed: spec.seed, sparseGrad: true, now: env.now });
    const stepsPerEpoch = Math.floor(task.trainX.rows / settings.batchSize);
    const score = run.diverged ? Number.POSITIVE_INFINITY : finiteScore(tailMean(run.losses, Math.max(5, stepsPerEpoch)));
    return {
      score,
      trainLoss: run.trainLoss,
      testLoss: run.testLoss,
      testAccuracy: run.testAccuracy,
      diverged: run.diverged,
      curve: Array.from(smooth(run.losses)),
      stepsToTarget: null,
      stateBytesPerParam: run.stateBytesPerParam,
      stateDictBytesPerParam: null,
      declaredStateBytesPerParam: entry.declaredStateBytes([[run.weights.length]]),
      msPerStep: run.msPerStep,
    };
  }
  const task = mnistTask(env.datasets, budget.mnist);
  const run = trainClassifier(task, entry.factory(), { steps: budget.tableSteps, batchSize: budget.batchSize, seed: spec.seed, lr: spec.lr });
  const params = run.model.parameters();
  const count = parameterCount(params);
  const optimizer = run.optimizer as { stateDict?: () => unknown };
  const curve = smooth(run.losses);
  return {
    score: run.diverged ? Number.POSITIVE_INFINITY : finiteScore(tailMean(run.losses, Math.max(5, Math.round(run.losses.length / 5)))),
    trainLoss: run.trainLoss,
    testLoss: run.testLoss,
    testAccuracy: run.testAccuracy,
    diverged: run.diverged,
    curve: Array.from(curve),
    stepsToTarget: firstBelow(curve, budget.lossTarget),
    stateBytesPerParam: stateBytes(run.optimizer, params) / count,
    stateDictBytesPerParam: typeof optimizer.stateDict === 'function' ? stateDictBytes(optimizer.stateDict()) / count : null,
    declaredStateBytesPerParam: entry.declaredStateBytes(params.map((p) => p.shape)),
    msPerStep: run.msPerStep,
  };
}

type Spec = TableTrialSpec | TimingTrialSpec;
type Done = ReadonlyArray<TrialRecord<Spec, TableTrialResult | TimingTrialResult>>;
type TrainingDone = ReadonlyArray<TrialRecord<TableTrialSpec, TableTrialResult>>;

const training = (done: Done): TrainingDone => done.filter((d): d is TrialRecord<TableTrialSpec, TableTrialResult> => d.spec.phase !== 'timing');

function gridFor(plan: ClaimPlan<null>, optimizer: string): number[] {
  const entry = raceEntry(optimizer);
  const factors = entry.gradients === 'sparse' ? SPARSE_TABLE[plan.budget.name].lrFactors : plan.budget.networkLrFactors;
  return lrGrid(entry.centerLr.network, factors);
}

function sweepOf(done: TrainingDone, optimizer: string): Array<{ lr: number; score: number }> {
  return done.filter((d) => d.spec.optimizer === optimizer && d.spec.phase === 'sweep').map((d) => ({ lr: d.spec.lr, score: d.result.score }));
}

const overSeeds = (values: readonly number[]): OverSeeds => ({ mean: mean(values), sd: sd(values), values });

export const tableStage: Experiment<null, Spec, TableTrialResult | TimingTrialResult, TableOutcome> & { readonly id: 'table' } = {
  id: 'table',
  budgets: { quick: null, default: null, full: null },
  shared: [],
  seeded: true,
  trials(plan) {
    return plan.entries.flatMap((entry) => gridFor(plan, entry.id).map((lr) => ({ budget: plan.budget.name, optimizer: entry.id, lr, seed: plan.seeds[0]!, phase: 'sweep' as const })));
  },
  followUp(plan, all) {
    if (all.some((d) => d.spec.phase === 'timing')) return [];
    const done = training(all);
    const more: Spec[] = [];
    for (const entry of plan.entries) {
      if (done.some((d) => d.spec.optimizer === entry.id && d.spec.phase === 'seed')) continue;
      const grid = gridFor(plan, entry.id);
      const points = sweepOf(done, entry.id);
      const extended = points.length - grid.length;
      const next = edgeExtension(points, grid[grid.length - 1]! / grid[grid.length - 2]!, extended, EDGE_EXTENSIONS);
      if (next !== null && !points.some((p) => p.lr === next)) {
        more.push({ budget: plan.budget.name, optimizer: entry.id, lr: next, seed: plan.seeds[0]!, phase: 'sweep' });
        continue;
      }
      const best = bestPoint(points);
      if (best === null) continue;
      for (const seed of plan.seeds.slice(1)) more.push({ budget: plan.budget.name, optimizer: entry.id, lr: best.lr, seed, phase: 'seed' });
    }
    if (more.length > 0 || (plan.seeds.length > 1 && !done.some((d) => d.spec.phase === 'seed'))) return more;
    // Every lr is chosen and every seed has run: time the table task's optimizers side by side.
    const contestants = plan.entries
      .filter((e) => e.gradients !== 'sparse')
      .flatMap((e) => {
        const best = bestPoint(sweepOf(done, e.id));
        return best === null ? [] : [{ optimizer: e.id, lr: best.lr }];
      });
    return contestants.length === 0 ? [] : [{ budget: plan.budget.name, phase: 'timing', seed: plan.seeds[0]!, contestants }];
  },
  runTrial: (spec, env) => (spec.phase === 'timing' ? runTimingTrial(spec, env) : runTableTrial(spec, env)),
  conclude(all, plan): TableOutcome {
    const done = training(all);
    const timing = all.find((d): d is TrialRecord<TimingTrialSpec, TimingTrialResult> => d.spec.phase === 'timing');
    const timed = (id: string): TableRow['msPerStep'] => {
      const k = timing?.spec.contestants.findIndex((c) => c.optimizer === id) ?? -1;
      if (timing === undefined || k < 0) return null;
      const times = timing.result.times[k]!;
      return { median: median(times), lo: quantile(times, 0.25), hi: quantile(times, 0.75) };
    };
    const rows: TableRow[] = plan.entries.map((entry) => {
      const points = sweepOf(done, entry.id).sort((a, b) => a.lr - b.lr);
      const best = bestPoint(points);
      const runs = best === null ? [] : plan.seeds.map((seed) => done.find((d) => d.spec.optimizer === entry.id && d.spec.lr === best.lr && d.spec.seed === seed)!.result);
      const failed = best === null || runs.every((r) => r.diverged || r.trainLoss >= 0.98 * CHANCE_LOSS);
      const steps = runs[0]?.curve.length ?? 0;
      // The sparse task has no interleaved timing: its seeds' runs give the median and range.
      const runTimes = runs.map((r) => r.msPerStep);
      return {
        optimizer: entry.id,
        label: entry.label,
        task: entry.gradients === 'sparse' ? 'spam' : 'mnist',
        lr: best?.lr ?? null,
        sweep: points,
        failed,
        momentum: entry.momentum,
        adaptive: entry.adaptive,
        stateBytesPerParam: runs[0]?.stateBytesPerParam ?? Number.NaN,
        stateDictBytesPerParam: runs[0]?.stateDictBytesPerParam ?? null,
        declaredStateBytesPerParam: runs[0]?.declaredStateBytesPerParam ?? null,
        divergedSeeds: runs.filter((r) => r.diverged).length,
        // A diverged seed has no loss to average: the means are over the seeds that trained,
        // and the row says how many diverged. Its accuracy (chance or worse) stays in.
        trainLoss: overSeeds(runs.filter((r) => !r.diverged).map((r) => r.trainLoss)),
        testLoss: overSeeds(runs.filter((r) => !r.diverged).map((r) => r.testLoss)),
        testAccuracy: overSeeds(runs.map((r) => r.testAccuracy)),
        stepsToTarget: runs.map((r) => r.stepsToTarget),
        curve: Array.from({ length: steps }, (_, t) => mean(runs.map((r) => r.curve[t]!))),
        msPerStep: entry.gradients === 'sparse' ? (runTimes.length === 0 ? null : { median: median(runTimes), lo: quantile(runTimes, 0.25), hi: quantile(runTimes, 0.75) }) : failed ? null : timed(entry.id),
      };
    });
    const budget = plan.budget;
    const task = `MLP ${[budget.mnist.side ** 2, ...budget.mnist.hidden, 10].join('–')} (ReLU) on ${budget.mnist.trainSize} MNIST digits at ${budget.mnist.side}×${budget.mnist.side} px, tested on ${budget.mnist.testSize}`;
    return { description: `${task}, batch ${budget.batchSize}, ${budget.tableSteps} steps`, steps: budget.tableSteps, lossTarget: budget.lossTarget, rows };
  },
};

/** The learning rate the table chose for `id` (its centre when the table did not run it or every lr failed). */
export function tableLr(table: TableOutcome | undefined, id: string): number {
  return table?.rows.find((r) => r.optimizer === id)?.lr ?? raceEntry(id).centerLr.network;
}

/**
 * `runRace(options, env)`: the shared runs the chosen claims need, then every claim, as
 * rounds of trials handed to a runner (the main thread, Node workers or Web Workers). Every
 * trial is a pure function of its spec, so the numbers do not depend on how many workers run
 * them or in which order they finish; only timings do.
 */
import { BUDGETS, type BudgetConfig } from './budget.js';
import { CLAIMS } from './claims/index.js';
import { missingFor, notRunOutcome } from './claims/format.js';
import { selectEntries, RaceInputError, type RaceEntry } from './entries.js';
import { surfacesStage } from './shared/surfaces.js';
import { tableStage } from './shared/table.js';
import type {
  AnyClaim,
  Budget,
  ClaimPlan,
  ClaimResult,
  Experiment,
  RaceDatasets,
  RacePlan,
  RaceResults,
  SharedId,
  SharedOutcomes,
  TrialClock,
  TrialEnv,
  TrialRecord,
} from './types.js';

export interface RaceOptions {
  readonly budget: Budget;
  /** The first seed; the others follow it (default 0). */
  readonly seed?: number;
  /** How many seeds (default: the budget's, 3 / 5 / 10). */
  readonly seeds?: number;
  /** Optimizer ids; all when absent. */
  readonly optimizers?: readonly string[];
  /** Claim ids to run; all when absent. The table and the surfaces run only when all claims do, or a chosen claim needs them. */
  readonly claims?: readonly string[];
}

/** One unit of work for a runner: which experiment, and its spec. */
export interface TrialTask {
  readonly experiment: string;
  readonly spec: unknown;
}

/** A finished trial as a runner returns it: the result, and the seconds spent running it by `clock` (queueing left out). */
export interface TrialOutput {
  readonly result: unknown;
  readonly seconds: number;
  readonly clock: TrialClock;
}

/** Runs trials somewhere: in this thread, or in a pool of workers. */
export interface TrialRunner {
  readonly workers: number;
  /**
   * Runs a trial. A runner that queues starts the higher `priority` first (default 0); the race
   * gives an experiment's later rounds a higher one. Within a priority, a pool shares the
   * workers fairly between experiments (`task.experiment`), in order of arrival within one.
   */
  run(task: TrialTask, priority?: number): Promise<TrialOutput>;
  close?(): Promise<void> | void;
}

export type RaceEvent =
  | { readonly kind: 'trial'; readonly experiment: string; readonly done: number; readonly queued: number }
  | { readonly kind: 'shared'; readonly id: SharedId; readonly trials: number; readonly trialSeconds: number }
  | { readonly kind: 'claim'; readonly claim: ClaimResult };

export interface RaceEnv {
  readonly datasets: RaceDatasets;
  /** Milliseconds, monotonic. */
  now(): number;
  readonly version: string;
  /** CPU seconds of the calling thread, where the platform can tell: measures trials run in this thread. */
  cpuSeconds?(): number;
  /** Progress events: a trial finished, a shared run or a claim concluded. */
  progress?(event: RaceEvent): void;
  /** Where trials run; the main thread when absent. Whoever creates a runner closes it. */
  readonly runner?: TrialRunner;
}

export const SHARED: readonly Experiment<unknown, unknown, unknown, unknown>[] = [surfacesStage, tableStage] as unknown as Experiment<unknown, unknown, unknown, unknown>[];

/** Every experiment by id: what a worker looks `runTrial` up in. */
export function experimentById(id: string): Experiment<unknown, unknown, unknown, unknown> {
  const found = SHARED.find((s) => s.id === id) ?? CLAIMS.find((c) => c.id === id);
  if (!found) throw new RaceInputError('claims', `no race experiment ${JSON.stringify(id)}`);
  return found as Experiment<unknown, unknown, unknown, unknown>;
}

/** Runs one trial in this thread: what a worker does with each message. */
export function runTrialTask(task: TrialTask, env: TrialEnv): unknown {
  return experimentById(task.experiment).runTrial(task.spec, env);
}

/** Runs one trial and measures it: by the thread's CPU time where `env` can tell, else by the wall clock. */
export function timedTrial(task: TrialTask, env: TrialEnv): TrialOutput {
  const cpu = env.cpuSeconds;
  const clock: TrialClock = cpu ? 'cpu' : 'wall';
  const seconds = cpu ? () => cpu.call(env) : () => env.now() / 1000;
  const started = seconds();
  const result = runTrialTask(task, env);
  return { result, seconds: seconds() - started, clock };
}

/** Runs trials in the calling thread, one after another. */
export function inlineRunner(env: TrialEnv): TrialRunner {
  return {
    workers: 1,
    run: async (task) => timedTrial(task, env),
  };
}

/** Checks the options and builds the plan; every bad value is a RaceInputError naming it. */
export function planRace(options: RaceOptions): RacePlan & { readonly claims: readonly AnyClaim[] } {
  if (!Object.hasOwn(BUDGETS, options.budget)) throw new RaceInputError('budget', `unknown race budget ${JSON.stringify(options.budget)}; valid: ${Object.keys(BUDGETS).join(', ')}`);
  const budget: BudgetConfig = BUDGETS[options.budget];
  const base = options.seed ?? 0;
  if (!Number.isSafeInteger(base) || base < 0) throw new RaceInputError('seed', `the base seed must be a non-negative integer, got ${String(options.seed)}`);
  const count = options.seeds ?? budget.seeds;
  if (!Number.isSafeInteger(count) || count < 1 || count > 1000) throw new RaceInputError('seeds', `the number of seeds must be an integer from 1 to 1000, got ${String(options.seeds)}`);
  const entries: readonly RaceEntry[] = selectEntries(options.optimizers);
  const ids = new Set(entries.map((e) => e.id));
  const ordered = [...CLAIMS].sort((a, b) => a.number - b.number);
  let claims = ordered;
  if (options.claims !== undefined) {
    const unknown = options.claims.filter((id) => !ordered.some((c) => c.id === id));
    if (unknown.length > 0 || options.claims.length === 0) {
      throw new RaceInputError('claims', `${options.claims.length === 0 ? 'the list is empty' : `unknown claim${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')}`}; valid: ${ordered.map((c) => c.id).join(', ')}`);
    }
    claims = ordered.filter((c) => options.claims!.includes(c.id));
  }
  const widest = count * Math.max(1, ...claims.map((c) => seedFactorOf(c, budget.name)));
  if (!Number.isSafeInteger(base + widest)) throw new RaceInputError('seeds', `seeds ${base} to ${base + widest - 1} run past the largest safe integer`);
  return { budget, seeds: seedRange(base, count), entries, has: (id) => ids.has(id), claims };
}

const seedRange = (base: number, count: number): number[] => Array.from({ length: count }, (_, k) => base + k);

const seedFactorOf = (claim: AnyClaim, budget: Budget): number => claim.seedFactor?.[budget] ?? 1;

/** The seeds a claim runs over: the run's, or k times as many from the same base (its `seedFactor`). */
export function claimSeeds(claim: AnyClaim, plan: RacePlan): readonly number[] {
  const factor = seedFactorOf(claim, plan.budget.name);
  return factor === 1 ? plan.seeds : seedRange(plan.seeds[0]!, factor * plan.seeds.length);
}

/** An experiment's finished trials, and the seconds its trials took to run (summed over workers). */
interface Rounds<S, R> {
  readonly done: Array<TrialRecord<S, R>>;
  readonly trialSeconds: number;
}

/**
 * An experiment's trials, round after round, on the runner, from priority `first`. A follow-up
 * round waits for the round before it, so each comes with a higher priority than the last: it
 * jumps the queue of first rounds, and an experiment of many rounds does not end the race alone
 * on one worker.
 */
async function runRounds<S, R>(experiment: Experiment<unknown, S, R, unknown>, plan: ClaimPlan<unknown>, runner: TrialRunner, onTrial: () => void, first: number): Promise<Rounds<S, R>> {
  const done: Array<TrialRecord<S, R>> = [];
  let trialSeconds = 0;
  let specs = experiment.trials(plan);
  for (let round = 0; specs.length > 0; round++) {
    const finished = await Promise.all(
      specs.map(async (spec) => {
        const output = await runner.run({ experiment: experiment.id, spec }, first + round);
        trialSeconds += output.seconds;
        onTrial();
        return { spec, result: output.result as R };
      }),
    );
    done.push(...finished);
    specs = experiment.followUp?.(plan, done) ?? [];
  }
  return { done, trialSeconds };
}

export async function runRace(options: RaceOptions, env: RaceEnv): Promise<RaceResults> {
  const started = env.now();
  const { claims, ...plan } = planRace(options);
  const runner = env.runner ?? inlineRunner({ datasets: env.datasets, now: () => env.now(), ...(env.cpuSeconds ? { cpuSeconds: () => env.cpuSeconds!() } : {}) });
  const emit = env.progress ?? (() => undefined);
  let finished = 0;
  let queued = 0;
  const onTrial = (experiment: string) => () => {
    finished += 1;
    emit({ kind: 'trial', experiment, done: finished, queued });
  };
  // Trial seconds are CPU time only if every trial was measured so.
  let trialClock: TrialClock = 'cpu';
  const countingRunner: TrialRunner = {
    workers: runner.workers,
    run: async (task, priority) => {
      queued += 1;
      const output = await runner.run(task, priority);
      if (output.clock === 'wall') trialClock = 'wall';
      return output;
    },
  };
  const sectionSeconds: Record<string, number> = {};
  const trialSeconds: Record<string, number> = {};
  const timed = async <T>(section: string, work: () => Promise<T>): Promise<T> => {
    const t0 = env.now();
    try {
      return await work();
    } finally {
      sectionSeconds[section] = (env.now() - t0) / 1000;
    }
  };

  const runnable = claims.filter((c) => missingFor(plan, c).length === 0);
  const needed = new Set<SharedId>(options.claims === undefined ? ['surfaces', 'table'] : runnable.flatMap((c) => c.shared));
  const sharedPlan: ClaimPlan<unknown> = { ...plan, settings: null, shared: {} };
  const sharedRuns = new Map<SharedId, Promise<unknown>>();
  for (const stage of SHARED) {
    const id = stage.id as SharedId;
    if (!needed.has(id)) continue;
    sharedRuns.set(
      id,
      timed(id, async () => {
        // A shared run starts a step ahead of the claims: claims wait for it (memory for the
        // table), and the table is the race's longest chain of rounds (sweep, edges, seeds, timing).
        const { done, trialSeconds: work } = await runRounds(stage, sharedPlan, countingRunner, onTrial(id), 1);
        trialSeconds[id] = work;
        emit({ kind: 'shared', id, trials: done.length, trialSeconds: work });
        return stage.conclude(done, sharedPlan);
      }),
    );
  }

  const results = await Promise.all(
    claims.map(async (claim): Promise<ClaimResult> => {
      const header = { id: claim.id, number: claim.number, title: claim.title, statement: claim.statement, literature: claim.literature };
      const missing = missingFor(plan, claim);
      if (missing.length > 0) {
        const result: ClaimResult = { ...header, ...notRunOutcome(missing), seeds: [], seconds: 0, trials: 0, trialSeconds: 0 };
        emit({ kind: 'claim', claim: result });
        return result;
      }
      const shared: Record<string, unknown> = {};
      for (const id of claim.shared) shared[id] = await sharedRuns.get(id);
      const claimPlan: ClaimPlan<unknown> = { ...plan, seeds: claimSeeds(claim, plan), settings: claim.budgets[plan.budget.name], shared: shared as SharedOutcomes };
      const t0 = env.now();
      const { done, trialSeconds: work } = await runRounds(claim, claimPlan, countingRunner, onTrial(claim.id), 0);
      const outcome = claim.conclude(done, claimPlan);
      const seconds = (env.now() - t0) / 1000;
      sectionSeconds[claim.id] = seconds;
      trialSeconds[claim.id] = work;
      const result: ClaimResult = { ...header, ...outcome, seeds: claim.seeded ? claimPlan.seeds : [], seconds, trials: done.length, trialSeconds: work };
      emit({ kind: 'claim', claim: result });
      return result;
    }),
  );
  const surfaces = sharedRuns.has('surfaces') ? ((await sharedRuns.get('surfaces')) as RaceResults['surfaces']) : null;
  const table = sharedRuns.has('table') ? ((await sharedRuns.get('table')) as RaceResults['table']) : null;

  const budget = plan.budget;
  const factors = (list: readonly number[]) => list.map((f) => String(Number(f.toPrecision(3)))).join(', ');
  return {
    version: env.version,
    budget: budget.name,
    seeds: plan.seeds,
    optimizers: plan.entries.map((e) => e.id),
    fairness: [
      `Same start and data: with seed s every optimizer starts from the same initial weights and draws the same mini-batches in the same order; comparisons are paired by seed (seeds ${plan.seeds[0]}–${plan.seeds[plan.seeds.length - 1]}). Dataset splits are fixed (split seed 0).`,
      `Learning rates by sweep: on each surface, each optimizer's lr is the best of its centre × {${factors(budget.surfaceLrFactors)}} by the final value after ${budget.surfaceSteps} steps; on the table task, the best of its centre × {${factors(budget.networkLrFactors)}} by the mean training loss over the last fifth of ${budget.tableSteps} steps on the base seed, the grid extended by up to two steps beyond an end when the best lies there; the chosen lr then runs on every seed. The centre is the optimizer's PyTorch default lr; SGD has none, so its centre is 0.1 on networks and 0.01 on surfaces.`,
      'Equal steps: SAM takes two gradients per step; L-BFGS runs one iteration per step with no line search, so one gradient per step like the rest.',
    ],
    table,
    surfaces,
    claims: results,
    timings: { totalSeconds: (env.now() - started) / 1000, workers: runner.workers, sectionSeconds, trialSeconds, trialClock },
  };
}

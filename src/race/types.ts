/**
 * The race's contract. A claim is an experiment in three pure parts, so that its trials can run
 * anywhere (the main thread, a Node worker, a browser Web Worker) and give the same numbers
 * whatever the number of workers:
 *
 *   trials(plan)              → TrialSpec[]   what to run (JSON: seeds, learning rates, …)
 *   followUp(plan, done)      → TrialSpec[]   more, decided from what ran (optional; [] ends)
 *   runTrial(spec, env)       → TrialResult   one run, a pure function of its spec (JSON)
 *   conclude(done, plan)      → ClaimOutcome  verdict, rule, numbers and figure data
 *
 * Figures are data (series of numbers); the report, the terminal, `--json` and a browser page
 * draw them at render time.
 */
import type { BudgetConfig } from './budget.js';
import type { RaceEntry } from './entries.js';
import type { TrainTest } from '../data/datasets.js';
import type { SpamData } from '../data/datasets.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Interval, Wins } from './stats.js';

export type Budget = 'quick' | 'default' | 'full';

/** How a trial's seconds are counted: CPU time of its thread, or wall-clock where the platform cannot tell. */
export type TrialClock = 'cpu' | 'wall';

/** A claim's verdict; 'not run' when `--optimizers` left out what its experiment needs. */
export type Verdict = 'holds' | 'does not hold here' | 'inconclusive' | 'not run';

/** Anything JSON can hold (Infinity and NaN are written as strings in results.json). */
export type Json = number | string | boolean | null | readonly Json[] | { readonly [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// What trials receive

/** The bundled datasets, provided by the platform (files in Node, fetched arrays in a browser). */
export interface RaceDatasets {
  /** MNIST digits, split by the loader's seeded permutation with split seed 0. */
  mnist(): TrainTest<Tensor>;
  /** SpamAssassin emails as CSR bag-of-words, split with split seed 0. */
  spam(): SpamData;
}

/** Everything a trial may touch besides its spec. */
export interface TrialEnv {
  readonly datasets: RaceDatasets;
  /** Milliseconds, monotonic (performance.now); only timings read it. */
  now(): number;
  /**
   * CPU seconds used so far by the thread running the trial, where the platform can tell (Node
   * on Linux); a trial's cost is then its CPU time, which waiting on a busy machine leaves out.
   */
  cpuSeconds?(): number;
}

// ---------------------------------------------------------------------------------------------
// What claims and shared runs receive

/** The run as a whole: the budget, the seeds and the contestants chosen. */
export interface RacePlan {
  readonly budget: BudgetConfig;
  /** The seeds every stochastic experiment runs over: base, base + 1, … */
  readonly seeds: readonly number[];
  /** The contestants chosen with --optimizers (all by default), in the lecture's order. */
  readonly entries: readonly RaceEntry[];
  has(id: string): boolean;
}

/** A claim's view of the run: the plan, its own budget settings, and the shared runs it needs. */
export interface ClaimPlan<Settings> extends RacePlan {
  readonly settings: Settings;
  readonly shared: SharedOutcomes;
}

/** One finished trial: what was asked and what came back. */
export interface TrialRecord<Spec, Result> {
  readonly spec: Spec;
  readonly result: Result;
}

// ---------------------------------------------------------------------------------------------
// Figures: data only

export interface SeriesData {
  readonly label: string;
  /**
   * Colour key: an optimizer id (every figure draws it in that optimizer's fixed colour) or a
   * role name from the palette ('variant-1' …). See palette.ts.
   */
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
}

export type FigureData =
  | {
      readonly kind: 'line';
      readonly name: string;
      readonly title: string;
      readonly xLabel: string;
      readonly yLabel: string;
      readonly logX?: boolean;
      readonly logY?: boolean;
      readonly series: readonly SeriesData[];
    }
  | {
      readonly kind: 'bar';
      readonly name: string;
      readonly title: string;
      readonly yLabel: string;
      readonly logY?: boolean;
      readonly categories: readonly string[];
      readonly series: ReadonlyArray<{ readonly label: string; readonly color: string; readonly values: readonly number[] }>;
    }
  | {
      readonly kind: 'trajectories';
      readonly name: string;
      readonly title: string;
      /** A surface from src/surfaces, by name. */
      readonly surface: string;
      readonly series: readonly SeriesData[];
    };

export interface SmallTable {
  readonly headers: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

// ---------------------------------------------------------------------------------------------
// What a claim concludes

export interface ClaimOutcome {
  readonly verdict: Verdict;
  /** The rule that decides the verdict, stated next to it everywhere. */
  readonly rule: string;
  /** One or two sentences with the numbers that decided the verdict. */
  readonly summary: string;
  /** Why the verdict came out as it did: a paragraph for the report. */
  readonly interpretation: string;
  /** What was run and measured, with its protocol (and why it deviates from the literature, if it does). */
  readonly method: string;
  /** The effect the verdict rests on, over seeds (mean, sd and its 95 % interval). */
  readonly effect?: Interval;
  /** "Adagrad lower in 5/5 seeds". */
  readonly wins?: Wins;
  /** Per-seed values wherever the verdict rests on seeds, by name; index k is seed k of `seeds`. */
  readonly perSeed?: { readonly [name: string]: readonly number[] };
  /** Key numbers by name, for results.json. */
  readonly values: { readonly [name: string]: Json };
  readonly table?: SmallTable;
  readonly figures: readonly FigureData[];
}

/** A claim as results.json, the report and the terminal see it. */
export interface ClaimResult extends ClaimOutcome {
  /** The claim's file name, e.g. 'vanishing-gradients'. */
  readonly id: string;
  /** Its place in the report (the lecture's order, new claims after). */
  readonly number: number;
  readonly title: string;
  /** The lecture's claim, in its words. */
  readonly statement: string;
  readonly literature: readonly string[];
  /** The seeds its stochastic trials ran over (empty for a deterministic experiment). */
  readonly seeds: readonly number[];
  /** Wall clock from its first trial to its verdict (other experiments share the workers meanwhile). */
  readonly seconds: number;
  /** How many trials it ran, and the seconds they took summed over workers (see `timings.trialClock`): its cost, whatever the number of workers. */
  readonly trials: number;
  readonly trialSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Experiments: claims and the shared runs they build on

/** What every experiment (claim or shared run) has: trials in, outcome out. */
export interface Experiment<Settings, Spec, Result, Outcome> {
  /** Unique across claims and shared runs; a worker finds `runTrial` by it. */
  readonly id: string;
  /** Settings per budget (steps, grids, sizes). */
  readonly budgets: Readonly<Record<Budget, Settings>>;
  /** The shared runs whose outcomes `trials` and `conclude` read. */
  readonly shared: readonly SharedId[];
  /** Whether the trials depend on the seed list (a deterministic experiment reports no seeds). */
  readonly seeded: boolean;
  trials(plan: ClaimPlan<Settings>): Spec[];
  /** Further trials decided from the finished ones (an lr grid extended at its edge, more seeds at the chosen lr); [] when done. */
  followUp?(plan: ClaimPlan<Settings>, done: ReadonlyArray<TrialRecord<Spec, Result>>): Spec[];
  runTrial(spec: Spec, env: TrialEnv): Result;
  conclude(done: ReadonlyArray<TrialRecord<Spec, Result>>, plan: ClaimPlan<Settings>): Outcome;
}

export interface ClaimDefinition<Settings = unknown, Spec = unknown, Result = unknown> extends Experiment<Settings, Spec, Result, ClaimOutcome> {
  /** Its place in the report. */
  readonly number: number;
  readonly title: string;
  /** The lecture's words. */
  readonly statement: string;
  /** The papers the protocol follows, as short citations. */
  readonly literature: readonly string[];
  /** Optimizers the experiment cannot do without: every id of `all`, one of each `oneOf` list. */
  readonly requires: { readonly all: readonly string[]; readonly oneOf: ReadonlyArray<readonly string[]> };
  /**
   * Seeds per seed of the run, by budget (1 where absent): a claim whose effect is small beside
   * its seed-to-seed spread runs k × n seeds from the same base, so that its interval can
   * separate the effect from zero. `--seeds n` scales it with the rest.
   */
  readonly seedFactor?: Readonly<Partial<Record<Budget, number>>>;
}

/** A claim with its types erased, as the claims list holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClaim = ClaimDefinition<any, any, any>;

/** Declares a claim with its types checked, and erases them for the list. */
export function defineClaim<Settings, Spec, Result>(claim: ClaimDefinition<Settings, Spec, Result>): AnyClaim {
  return claim;
}

// ---------------------------------------------------------------------------------------------
// Shared runs

export type SharedId = 'surfaces' | 'table';

/** Every optimizer's learning-rate sweep on each 2-D surface (deterministic: no seeds). */
export interface SurfacesOutcome {
  readonly steps: number;
  readonly surfaces: readonly SurfaceOutcome[];
}

export interface SurfaceRunData {
  readonly optimizer: string;
  readonly lr: number;
  readonly finalValue: number;
  readonly finalPoint: readonly [number, number];
  readonly distanceToMinimum: number | null;
  readonly stepsToTarget: number | null;
  readonly diverged: boolean;
  /** The path, x₀, y₀, x₁, y₁, … (up to the step where it stopped). */
  readonly points: readonly number[];
}

export interface SurfaceOutcome {
  readonly surface: string;
  readonly target: number;
  /** Per optimizer: every learning rate of its sweep, ascending; `best` indexes the chosen one. */
  readonly sweeps: ReadonlyArray<{ readonly optimizer: string; readonly best: number; readonly runs: readonly SurfaceRunData[] }>;
}

/** The comparison table's runs: each optimizer on the table task, its lr swept, over seeds. */
export interface TableOutcome {
  readonly description: string;
  readonly steps: number;
  readonly lossTarget: number;
  readonly rows: readonly TableRow[];
}

/** A value measured over seeds: mean, sd, and the per-seed values. */
export interface OverSeeds {
  readonly mean: number;
  readonly sd: number;
  readonly values: readonly number[];
}

/** One row of the lecture's comparison table, measured. */
export interface TableRow {
  readonly optimizer: string;
  readonly label: string;
  /** 'mnist' for the table task; another name for an optimizer measured on its own task. */
  readonly task: string;
  /** The learning rate the sweep chose (null when every lr failed). */
  readonly lr: number | null;
  /** Every lr of the sweep with its mean score over seeds (+∞ for a failed one). */
  readonly sweep: ReadonlyArray<{ readonly lr: number; readonly score: number }>;
  /** Failed at every learning rate: diverged or no better than chance. */
  readonly failed: boolean;
  /** Seeds whose run at the chosen lr diverged (their losses are left out of the means). */
  readonly divergedSeeds: number;
  readonly momentum: string;
  readonly adaptive: string;
  /** Bytes of optimizer state per parameter, measured from the live optimizer. */
  readonly stateBytesPerParam: number;
  /** Bytes per parameter of the state dict (what a checkpoint saves), where it differs from what persists. */
  readonly stateDictBytesPerParam: number | null;
  /** What the registry's spec declares for the task's parameter shapes. */
  readonly declaredStateBytesPerParam: number | null;
  readonly trainLoss: OverSeeds;
  readonly testLoss: OverSeeds;
  readonly testAccuracy: OverSeeds;
  /** First step whose running training loss reached the target, per seed (null: not reached). */
  readonly stepsToTarget: ReadonlyArray<number | null>;
  /** Training loss (EMA) per step at the chosen lr, mean over seeds, for the table figure. */
  readonly curve: readonly number[];
  /** Milliseconds per training step: median of repeated interleaved timings, with its spread (null: not measured). */
  readonly msPerStep: { readonly median: number; readonly lo: number; readonly hi: number } | null;
}

export interface SharedOutcomes {
  readonly surfaces?: SurfacesOutcome;
  readonly table?: TableOutcome;
}

export type SharedDefinition = Experiment<unknown, unknown, unknown, SurfacesOutcome | TableOutcome> & { readonly id: SharedId };

// ---------------------------------------------------------------------------------------------
// The race as a whole

export interface RaceResults {
  readonly version: string;
  readonly budget: Budget;
  readonly seeds: readonly number[];
  readonly optimizers: readonly string[];
  /** How learning rates were chosen and what was held equal. */
  readonly fairness: readonly string[];
  readonly table: TableOutcome | null;
  readonly surfaces: SurfacesOutcome | null;
  readonly claims: readonly ClaimResult[];
  /**
   * Timings, the only part that differs between runs with the same seeds: the wall clock of the
   * run and of each section (sections overlap when the workers run them side by side), and each
   * section's trial seconds summed over workers (its cost, whatever the number of workers).
   */
  readonly timings: {
    readonly totalSeconds: number;
    readonly workers: number;
    readonly sectionSeconds: { readonly [section: string]: number };
    readonly trialSeconds: { readonly [section: string]: number };
    /** What trial seconds count: the CPU time of the threads that ran them, or (where a platform cannot tell) wall-clock. */
    readonly trialClock: TrialClock;
  };
}

/**
 * What a race produces: everything in `RaceResults` except `timings` is a function of the
 * seed and the budget, so two runs with the same seed must agree on it exactly.
 */

export type Budget = 'quick' | 'default' | 'full';

export type Verdict = 'holds' | 'does not hold here' | 'not run';

/** A number, a label, or a small list of them: what a claim reports as its key figures. */
export type Figure = number | string | boolean | null | readonly Figure[] | { readonly [key: string]: Figure };

export interface ClaimResult {
  /** 1 to 12, the lecture's order. */
  readonly id: number;
  readonly title: string;
  /** The lecture's claim, in its words. */
  readonly claim: string;
  /** What was run and measured, with its protocol. */
  readonly method: string;
  readonly verdict: Verdict;
  /** One or two sentences with the numbers that decided the verdict. */
  readonly summary: string;
  /** The measured numbers, keyed by name. */
  readonly figures: { readonly [key: string]: Figure };
  /** A small table of the measurements, for the report. */
  readonly table?: { readonly headers: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
  /** Names of the charts (SVG files) that belong to this claim. */
  readonly charts: readonly string[];
}

/** One row of the lecture's comparison table, measured. */
export interface TableRow {
  readonly optimizer: string;
  readonly label: string;
  /** The learning rate the sweep chose on the table task. */
  readonly lr: number;
  /** How the optimizer uses momentum, e.g. "β₁ = 0.9" or "—". */
  readonly momentum: string;
  /** Whether and how the step is scaled per coordinate, e.g. "√v (EMA)" or "—". */
  readonly adaptive: string;
  /** Bytes of optimizer state per parameter, measured from the optimizer's live state. */
  readonly stateBytesPerParam: number;
  readonly finalLoss: number;
  readonly finalAccuracy: number;
  /** First step whose running training loss reached the target, or null. */
  readonly stepsToTarget: number | null;
}

export interface SurfaceRun {
  readonly optimizer: string;
  readonly lr: number;
  readonly finalValue: number;
  readonly finalPoint: readonly [number, number];
  /** Distance from the end point to the nearest known minimum (null on a surface with none). */
  readonly distanceToMinimum: number | null;
  readonly stepsToTarget: number | null;
}

export interface SurfaceResult {
  readonly surface: string;
  readonly steps: number;
  /** f(end) counts as reached when within this of the global minimum's value. */
  readonly target: number;
  readonly runs: readonly SurfaceRun[];
  readonly chart: string;
}

export interface RaceResults {
  readonly descent: string;
  readonly seed: number;
  readonly budget: Budget;
  readonly optimizers: readonly string[];
  /** How learning rates were chosen and what was held equal. */
  readonly fairness: readonly string[];
  readonly tableTask: { readonly description: string; readonly lossTarget: number; readonly steps: number };
  readonly table: readonly TableRow[];
  readonly surfaces: readonly SurfaceResult[];
  readonly claims: readonly ClaimResult[];
  /** Chart file names written beside the report. */
  readonly charts: readonly string[];
  /** Wall-clock measurements: the only part that differs between runs with the same seed. */
  readonly timings: {
    readonly totalSeconds: number;
    /** Milliseconds per training step on the table task (forward, backward and update). */
    readonly msPerStep: { readonly [optimizer: string]: number };
    readonly sectionSeconds: { readonly [section: string]: number };
  };
}

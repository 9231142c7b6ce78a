/**
 * The statistics every verdict rests on: mean and standard deviation over seeds, paired
 * differences with a 95 % Student-t interval, win counts, Wilson intervals for shares, and the
 * one rule that turns an interval into a verdict.
 *
 * Seeds pair the runs: with the same seed two optimizers start from the same weights and see
 * the same batches, so the difference per seed removes what the seed alone does, and the
 * interval of the mean difference is far narrower than comparing two means.
 */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
export function sd(values: readonly number[]): number {
  if (values.length < 2) return values.length === 1 ? 0 : Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics (type 7, R's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (at - below) * (sorted[above]! - sorted[below]!);
}

/**
 * Two-sided 95 % quantiles of Student's t, t₀.₉₇₅ with ν degrees of freedom, for ν = 1…30
 * (from the distribution's tables); beyond 30 the Cornish–Fisher expansion around the normal
 * quantile, accurate to 1e-4 there.
 */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052,
  2.048, 2.045, 2.042,
];

export function tQuantile975(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) throw new RangeError(`tQuantile975: degrees of freedom must be a positive integer, got ${degreesOfFreedom}`);
  if (degreesOfFreedom <= T975.length) return T975[degreesOfFreedom - 1]!;
  const z = 1.959964;
  const v = degreesOfFreedom;
  return z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v * v);
}

/** A quantity over seeds: its mean, sd, and the 95 % t interval of the mean. */
export interface Interval {
  readonly mean: number;
  readonly sd: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/**
 * The mean of `values` with its 95 % interval, mean ± t₀.₉₇₅(n − 1)·sd/√n. With one value the
 * interval is unbounded (one seed says nothing about the spread); non-finite values make the
 * whole interval NaN, which the verdict reads as inconclusive.
 */
export function interval(values: readonly number[]): Interval {
  const n = values.length;
  const m = mean(values);
  if (n === 0 || !values.every(Number.isFinite)) return { mean: m, sd: Number.NaN, lo: Number.NaN, hi: Number.NaN, n };
  if (n === 1) return { mean: m, sd: 0, lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY, n };
  const s = sd(values);
  const half = (tQuantile975(n - 1) * s) / Math.sqrt(n);
  return { mean: m, sd: s, lo: m - half, hi: m + half, n };
}

/** Per-seed differences a[k] − b[k] (the runs of seed k paired), and their interval. */
export function pairedDifference(a: readonly number[], b: readonly number[]): Interval & { readonly differences: readonly number[] } {
  if (a.length !== b.length) throw new RangeError(`pairedDifference: ${a.length} values against ${b.length}; pairs need one of each per seed`);
  const differences = a.map((v, k) => v - b[k]!);
  return { ...interval(differences), differences };
}

/** How often one side won: "Adagrad lower in 5/5 seeds". */
export interface Wins {
  readonly count: number;
  readonly of: number;
  /** What winning means, e.g. "Adagrad's online loss below SGD's". */
  readonly what: string;
  /** What is counted: 'seeds' unless said otherwise (e.g. 'methods'). */
  readonly unit: string;
}

/** Counts the seeds (or other units) where `won(k)` holds. */
export function winCount(of: number, won: (k: number) => boolean, what: string, unit = 'seeds'): Wins {
  let count = 0;
  for (let k = 0; k < of; k++) if (won(k)) count += 1;
  return { count, of, what, unit };
}

/** The Wilson score interval (95 %) of a share: successes out of trials. */
export function wilson(successes: number, trials: number): { readonly share: number; readonly lo: number; readonly hi: number } {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || trials < 0 || successes < 0 || successes > trials) {
    throw new RangeError(`wilson: need 0 ≤ successes ≤ trials (integers), got ${successes} of ${trials}`);
  }
  if (trials === 0) return { share: Number.NaN, lo: 0, hi: 1 };
  const z = 1.959964;
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  // At 0 and at n successes the bound is exactly 0 or 1; rounding would leave 1 − 1e-16.
  return { share: p, lo: successes === 0 ? 0 : Math.max(0, centre - half), hi: successes === trials ? 1 : Math.min(1, centre + half) };
}

export type Direction = 'above' | 'below';

/**
 * THE verdict rule, for every claim: the claim predicts the effect lies `direction` the
 * threshold. It holds when the whole interval clears the threshold that way, does not hold
 * here when the whole interval clears it the other way, and is inconclusive when the
 * interval straddles (or touches) it, or is undefined.
 */
export function verdictOf(effect: { readonly lo: number; readonly hi: number }, direction: Direction, threshold: number): 'holds' | 'does not hold here' | 'inconclusive' {
  const { lo, hi } = effect;
  if (Number.isNaN(lo) || Number.isNaN(hi)) return 'inconclusive';
  const clearsAbove = lo > threshold;
  const clearsBelow = hi < threshold;
  if (direction === 'above') return clearsAbove ? 'holds' : clearsBelow ? 'does not hold here' : 'inconclusive';
  return clearsBelow ? 'holds' : clearsAbove ? 'does not hold here' : 'inconclusive';
}

/** The rule as a sentence, to print next to the verdict. */
export function ruleText(effect: string, direction: Direction, threshold: number): string {
  const side = direction === 'above' ? 'above' : 'below';
  const other = direction === 'above' ? 'below' : 'above';
  return `holds when the 95 % interval of ${effect} lies entirely ${side} ${threshold}; does not hold here when it lies entirely ${other}; inconclusive when it straddles ${threshold}`;
}

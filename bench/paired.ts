/**
 * The statistics of a paired speed comparison: descent's epoch and PyTorch's, timed one after
 * the other, give one ratio (descent's samples/s ÷ PyTorch's); the machine's drift moves both
 * sides of a pair alike, so the ratios spread far less than the two trainers' speeds measured
 * apart.
 *
 * Ratios multiply, so the summary works on their logarithms: the geometric mean of the ratios
 * is exp(mean of the log ratios), and its 95 % interval is exp(mean ± t₀.₉₇₅(n − 1)·sd/√n) of the
 * log ratios (Student's t, src/race/stats.ts), which also keeps the interval above zero.
 */
import { interval, median } from '../src/race/stats.js';

export interface PairedRatio {
  /** How many pairs (ratios) the summary rests on. */
  readonly pairs: number;
  readonly geometricMean: number;
  /** The 95 % interval of the geometric mean: 0 to ∞ for a single pair, NaN when a ratio is not a positive finite number. */
  readonly lo: number;
  readonly hi: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function pairedRatio(ratios: readonly number[]): PairedRatio {
  if (ratios.length === 0) throw new RangeError('pairedRatio: no pairs to summarize');
  const logs = interval(ratios.map((r) => (r > 0 ? Math.log(r) : Number.NaN)));
  return {
    pairs: ratios.length,
    geometricMean: Math.exp(logs.mean),
    lo: Math.exp(logs.lo),
    hi: Math.exp(logs.hi),
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  };
}

export type TargetVerdict = 'met' | 'missed' | 'inconclusive';

/**
 * A target "ratio ≥ `target`" judged by the interval of the ratio: met when the whole interval
 * lies at or above the target, missed when the whole of it lies below, inconclusive when it
 * holds the target inside or is not a number (a ratio that was no positive finite number).
 */
export function ratioVerdict(ratio: Pick<PairedRatio, 'lo' | 'hi'>, target: number): TargetVerdict {
  if (ratio.lo >= target) return 'met';
  if (ratio.hi < target) return 'missed';
  return 'inconclusive';
}

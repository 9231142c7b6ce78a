/**
 * The statistics of a paired speed comparison: descent's epoch and PyTorch's, timed one after
 * the other, give one ratio (descent's samples/s ÷ PyTorch's); the machine's drift moves both
 * sides of a pair alike, so the ratios spread far less than the two trainers' speeds measured
 * apart.
 *
 * Pairs timed in one process still share that process's luck (where its memory landed, what its
 * JIT made of the code): in one such comparison the intervals of two processes did not overlap.
 * So the bench times the pairs in several processes and the interval is over the processes'
 * geometric means (`pairedRatioByProcess`), a process counting as one observation, as a seed
 * does in the race.
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

/** `PairedRatio` over processes: each process's geometric mean is one observation. */
export interface ProcessPairedRatio extends PairedRatio {
  /** Processes the interval rests on, and each one's geometric mean. */
  readonly processes: number;
  readonly processMeans: readonly number[];
}

/**
 * The pairs of several processes (`groups[k]`: the ratios process k timed): the geometric mean
 * and interval of the processes' geometric means, and over every pair the median, min and max.
 */
export function pairedRatioByProcess(groups: readonly (readonly number[])[]): ProcessPairedRatio {
  const timed = groups.filter((ratios) => ratios.length > 0);
  if (timed.length === 0) throw new RangeError('pairedRatioByProcess: no process timed any pairs');
  const processMeans = timed.map((ratios) => pairedRatio(ratios).geometricMean);
  const all = timed.flat();
  const { geometricMean, lo, hi } = pairedRatio(processMeans);
  return { ...pairedRatio(all), geometricMean, lo, hi, processes: timed.length, processMeans };
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

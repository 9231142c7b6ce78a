/**
 * The bench's paired MLP comparison (bench/paired.ts): the interval of the geometric mean of
 * descent ÷ PyTorch ratios against values worked out by hand, and the verdict on a "≥ 1"
 * target on both sides of it, at its edges, and for one pair or pairs that all agree.
 */
import { describe, it, expect } from 'vitest';
import { pairedRatio, pairedRatioByProcess, ratioVerdict } from '../bench/paired.js';
import { assertAllclose } from './helpers/allclose.js';

describe('pairedRatio', () => {
  it('is exp(mean ± t₀.₉₇₅(n − 1)·sd/√n) of the log ratios, worked out for 1.1, 1.1², 1.1³', () => {
    // log ratios k·ln 1.1 for k = 1, 2, 3: mean 2·ln 1.1 (geometric mean 1.21), sd ln 1.1,
    // t₀.₉₇₅(2) = 4.303, half-width 4.303 · ln 1.1 / √3 ≈ 0.236783,
    // interval 1.21 · exp(∓0.236783) ≈ [0.954887, 1.533271]
    const r = pairedRatio([1.1, 1.21, 1.331]);
    assertAllclose([r.geometricMean, r.lo, r.hi, r.median, r.min, r.max], [1.21, 0.954887, 1.533271, 1.21, 1.1, 1.331], { atol: 1e-5 });
    expect(r.pairs).toBe(3);
  });

  it('takes the median, min and max of the ratios themselves, whatever their order', () => {
    const r = pairedRatio([1.3, 0.9, 1.1, 1.0]);
    expect([r.median, r.min, r.max]).toEqual([1.05, 0.9, 1.3]);
  });

  it('is unbounded for a single pair and collapses to the ratio when every pair agrees', () => {
    expect(pairedRatio([1.5])).toMatchObject({ pairs: 1, lo: 0, hi: Number.POSITIVE_INFINITY, median: 1.5, min: 1.5, max: 1.5 });
    const same = pairedRatio([1.1, 1.1, 1.1]);
    assertAllclose([same.geometricMean, same.lo, same.hi], [1.1, 1.1, 1.1], { atol: 1e-12 });
  });

  it('has no interval when a ratio is not a positive number, and refuses no pairs', () => {
    expect(Number.isNaN(pairedRatio([1.2, 0]).lo)).toBe(true);
    expect(Number.isNaN(pairedRatio([1.2, Number.POSITIVE_INFINITY]).hi)).toBe(true);
    expect(() => pairedRatio([])).toThrow(/no pairs/);
  });
});

describe('ratioVerdict on a target of 1', () => {
  it('is met when the ratios lie clearly above it', () => {
    expect(ratioVerdict(pairedRatio([1.2, 1.25, 1.22, 1.18, 1.3]), 1)).toBe('met');
  });
  it('is missed when they lie clearly below it', () => {
    expect(ratioVerdict(pairedRatio([0.8, 0.85, 0.82, 0.79, 0.84]), 1)).toBe('missed');
  });
  it('is inconclusive when they straddle it', () => {
    expect(ratioVerdict(pairedRatio([0.9, 1.1, 0.95, 1.05, 1.0]), 1)).toBe('inconclusive');
    expect(ratioVerdict(pairedRatio([1.1, 1.21, 1.331]), 1)).toBe('inconclusive');
  });
  it('is inconclusive for a single pair, however far from the target', () => {
    expect(ratioVerdict(pairedRatio([3]), 1)).toBe('inconclusive');
    expect(ratioVerdict(pairedRatio([0.2]), 1)).toBe('inconclusive');
  });
  it('follows the ratio itself when every pair agrees', () => {
    expect(ratioVerdict(pairedRatio([1.1, 1.1, 1.1]), 1)).toBe('met');
    expect(ratioVerdict(pairedRatio([0.9, 0.9]), 1)).toBe('missed');
  });
  it('counts a lower bound at the target as met and an upper bound at it as not missed', () => {
    expect(ratioVerdict({ lo: 1, hi: 1.2 }, 1)).toBe('met');
    expect(ratioVerdict({ lo: 0.8, hi: 1 }, 1)).toBe('inconclusive');
    expect(ratioVerdict({ lo: 0.8, hi: 0.999 }, 1)).toBe('missed');
  });
  it('is inconclusive without an interval', () => {
    expect(ratioVerdict(pairedRatio([1.2, 0]), 1)).toBe('inconclusive');
    expect(ratioVerdict({ lo: Number.NaN, hi: Number.NaN }, 1)).toBe('inconclusive');
  });
});

describe('pairedRatioByProcess', () => {
  it('takes each process as one observation: the interval of the processes\' geometric means', () => {
    // Process means √(1.1·1.21) = 1.1^1.5 and 1.331 = 1.1³; their logs 1.5 and 3 (× ln 1.1): mean
    // 2.25·ln 1.1, sd 1.0607·ln 1.1, t₀.₉₇₅(1) = 12.706, half-width 12.706 · 1.0607 · ln 1.1 / √2.
    const r = pairedRatioByProcess([[1.1, 1.21], [1.331]]);
    const ln = Math.log(1.1);
    const half = (12.7062 * (1.5 / Math.SQRT2) * ln) / Math.SQRT2;
    assertAllclose([r.geometricMean, r.lo, r.hi], [Math.exp(2.25 * ln), Math.exp(2.25 * ln - half), Math.exp(2.25 * ln + half)], { rtol: 1e-4 });
    assertAllclose(r.processMeans, [Math.exp(1.5 * ln), 1.331], { atol: 1e-12 });
    expect([r.processes, r.pairs, r.min, r.max, r.median]).toEqual([2, 3, 1.1, 1.331, 1.21]);
  });

  it('is wider than the pooled pairs when processes disagree, so a verdict the pooled pairs would give can become inconclusive', () => {
    const groups = [[1.20, 1.21, 1.19, 1.20], [1.02, 1.03, 1.01, 1.02]];
    expect(ratioVerdict(pairedRatio(groups.flat()), 1)).toBe('met');
    expect(ratioVerdict(pairedRatioByProcess(groups), 1)).toBe('inconclusive');
    expect(ratioVerdict(pairedRatioByProcess([[1.10, 1.12], [1.08, 1.11], [1.12, 1.09]]), 1)).toBe('met');
    expect(ratioVerdict(pairedRatioByProcess([[0.80, 0.82], [0.83, 0.81], [0.79, 0.84]]), 1)).toBe('missed');
  });

  it('leaves out processes without pairs and refuses when none has any', () => {
    expect(pairedRatioByProcess([[], [1.2, 1.2]]).processes).toBe(1);
    expect(() => pairedRatioByProcess([[], []])).toThrow(/no process/);
  });
});

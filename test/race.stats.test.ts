/**
 * The race's statistics: every verdict goes through `verdictOf`, so its three outcomes are
 * checked with intervals on both sides of a threshold, and the interval itself against values
 * worked out by hand.
 */
import { describe, it, expect } from 'vitest';
import { interval, pairedDifference, tQuantile975, verdictOf, wilson, winCount, mean, sd, median, quantile } from '../src/race/stats.js';
import { assertAllclose } from './helpers/allclose.js';

describe('verdictOf', () => {
  it('holds when the interval clears the threshold in the claimed direction', () => {
    expect(verdictOf({ lo: -3, hi: -1.01 }, 'below', -1)).toBe('holds');
    expect(verdictOf({ lo: 0.01, hi: 2 }, 'above', 0)).toBe('holds');
  });
  it('does not hold when it clears the threshold the other way', () => {
    expect(verdictOf({ lo: -0.99, hi: 0.5 }, 'below', -1)).toBe('does not hold here');
    expect(verdictOf({ lo: -2, hi: -0.01 }, 'above', 0)).toBe('does not hold here');
  });
  it('is inconclusive when the interval straddles or touches the threshold, or is undefined', () => {
    expect(verdictOf({ lo: -1.5, hi: -0.5 }, 'below', -1)).toBe('inconclusive');
    expect(verdictOf({ lo: -0.1, hi: 0.1 }, 'above', 0)).toBe('inconclusive');
    expect(verdictOf({ lo: 0, hi: 1 }, 'above', 0)).toBe('inconclusive');
    expect(verdictOf({ lo: Number.NaN, hi: 1 }, 'above', 0)).toBe('inconclusive');
    expect(verdictOf({ lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY }, 'above', 0)).toBe('inconclusive');
  });
});

describe('interval', () => {
  it('is mean ± t₀.₉₇₅(n − 1)·sd/√n, worked out for 1, 2, 3, 6', () => {
    // mean 3, sd = √(((−2)² + (−1)² + 0² + 3²)/3) = √(14/3) ≈ 2.1602, t₀.₉₇₅(3) = 3.182,
    // half-width = 3.182 · 2.1602 / 2 ≈ 3.4369
    const result = interval([1, 2, 3, 6]);
    assertAllclose([result.mean, result.sd, result.lo, result.hi], [3, Math.sqrt(14 / 3), 3 - 3.4369, 3 + 3.4369], { atol: 1e-3 });
    expect(result.n).toBe(4);
  });
  it('is unbounded for one value and NaN when a value is not finite', () => {
    expect(interval([2])).toMatchObject({ mean: 2, lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY });
    expect(Number.isNaN(interval([1, Number.POSITIVE_INFINITY]).lo)).toBe(true);
  });
  it('uses the t table for small n and the expansion beyond it', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(4)).toBe(2.776);
    expect(tQuantile975(30)).toBe(2.042);
    assertAllclose([tQuantile975(40), tQuantile975(120)], [2.021, 1.98], { atol: 1e-3 });
    expect(() => tQuantile975(0)).toThrow(/positive integer/);
  });
});

describe('paired differences, wins and shares', () => {
  it('pairs by seed: a constant offset has zero spread even when the seeds vary widely', () => {
    const a = [10, 20, 30, 40];
    const b = a.map((v) => v - 1);
    const d = pairedDifference(a, b);
    expect(d.differences).toEqual([1, 1, 1, 1]);
    expect([d.lo, d.hi]).toEqual([1, 1]);
    expect(verdictOf(d, 'above', 0)).toBe('holds');
    expect(() => pairedDifference([1], [1, 2])).toThrow(/1 values against 2/);
  });
  it('counts wins', () => {
    expect(winCount(4, (k) => k % 2 === 0, 'even')).toEqual({ count: 2, of: 4, what: 'even', unit: 'seeds' });
    expect(winCount(3, () => true, 'faster', 'methods').unit).toBe('methods');
  });
  it('gives Wilson intervals worked out by hand', () => {
    // 8/10: centre (0.8 + 1.92/10)/(1 + 3.8415/10) = 0.7168, half-width 0.2271 → [0.490, 0.943]
    const w = wilson(8, 10);
    assertAllclose([w.share, w.lo, w.hi], [0.8, 0.4902, 0.9433], { atol: 1e-3 });
    expect(wilson(0, 10).lo).toBe(0);
    expect(wilson(10, 10).hi).toBe(1);
    expect(() => wilson(11, 10)).toThrow(/0 ≤ successes ≤ trials/);
  });
  it('computes mean, sd and median', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    // Quartiles of 1, 2, 3, 4, 10 at positions 1 and 3 of 0…4: 2 and 4; q = 0.1 sits at 0.4: 1.4.
    expect([quantile([10, 1, 3, 2, 4], 0.25), quantile([10, 1, 3, 2, 4], 0.75), quantile([1, 2, 3, 4, 10], 0.1)]).toEqual([2, 4, 1.4]);
  });
});

/**
 * Claim 11 (lr sensitivity): reading a loss-by-lr curve (the interval around the best, the
 * largest lr that trains, failed runs) and the rule on both sides of half a grid step.
 */
import { describe, it, expect } from 'vitest';
import { lrTolerance, sensitivityVerdict, TOLERANCE, TRAINS_BELOW } from '../src/race/claims/sensitivity.js';

describe('lrTolerance', () => {
  const lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1];
  it('keeps the run of lrs within 1.25× of the best, connected to it, and the largest that still trains', () => {
    // best 0.2 at 1e-2; limit 0.25: 1e-3 (0.24) and 1e-1 (0.25) are in, 1e-4 (2.0) and 1 (1.0) out.
    // Crossings: below, 0.24 → 2.0 reaches 0.25 after 0.01/1.76 of the decade: log lr = −3 − 0.00568;
    // above, exactly at 1e-1 (0.25 is the limit). Width 2.00568 decades.
    const r = lrTolerance(lrs, [2.0, 0.24, 0.2, 0.25, 1.0]);
    expect(r).toMatchObject({ best: 2, first: 1, last: 3, largestTraining: 1 });
    expect(r.widthDecades).toBeCloseTo(2 + 0.01 / 1.76, 12);
  });
  it('interpolates the crossings in log lr, and stops at a grid end', () => {
    // best 0.2 at 1 (the end): limit 0.25, crossing below between 0.1 (0.3) and 1: 0.05/0.1 = half way back
    expect(lrTolerance(lrs, [1, 1, 1, 0.3, 0.2]).widthDecades).toBeCloseTo(0.5, 12);
    expect(TOLERANCE).toBe(1.25);
    expect(TRAINS_BELOW).toBeCloseTo(Math.log(10) / 2, 12);
  });
  it('stops at a failed run: a good point beyond a divergence does not widen the interval', () => {
    const r = lrTolerance(lrs, [0.21, Number.NaN, 0.2, Number.POSITIVE_INFINITY, 0.2]);
    expect(r).toMatchObject({ best: 2, first: 2, last: 2, largestTraining: 1e-2 });
    expect(r.widthDecades).toBe(0);
  });
  it('reports no training lr when nothing trains, and nothing at all when every run failed', () => {
    expect(lrTolerance(lrs, [2.2, 2.1, 2.0, 2.1, 2.3]).largestTraining).toBeNull();
    expect(lrTolerance(lrs, lrs.map(() => Number.NaN))).toMatchObject({ best: -1, widthDecades: 0, largestTraining: null });
    expect(() => lrTolerance(lrs, [1])).toThrow(/5 learning rates for 1 losses/);
  });
});

describe('claim 11 verdict: each challenger wider than Adam, paired by seed', () => {
  const adam = [0.5, 0.5, 0.75];
  it('holds when both challengers are wider by a steady margin', () => {
    // differences 0.5, 0.5, 0.5 and 0.75, 0.5, 0.5: both intervals above 0
    const r = sensitivityVerdict(adam, [{ challenger: 'lookahead', widths: [1, 1, 1.25] }, { challenger: 'radam', widths: [1.25, 1, 1.25] }]);
    expect(r.verdict).toBe('holds');
  });
  it('does not hold when both are narrower on every seed', () => {
    // differences −0.25, −0.25, −0.25 and −0.25, −0.25, −0.25
    const r = sensitivityVerdict(adam, [{ challenger: 'lookahead', widths: [0.25, 0.25, 0.5] }, { challenger: 'radam', widths: [0.25, 0.25, 0.5] }]);
    expect(r.parts.map((p) => p.verdict)).toEqual(['does not hold here', 'does not hold here']);
    expect(r.verdict).toBe('does not hold here');
  });
  it('does not hold when one is wider and the other is clearly not', () => {
    expect(sensitivityVerdict(adam, [{ challenger: 'lookahead', widths: [1, 1, 1.25] }, { challenger: 'radam', widths: [0.25, 0.25, 0.5] }]).verdict).toBe('does not hold here');
    // Equal widths on every seed give the one-point interval [0, 0]: not above 0, not below.
    expect(sensitivityVerdict(adam, [{ challenger: 'radam', widths: [0.5, 0.5, 0.75] }]).verdict).toBe('inconclusive');
  });
  it('is inconclusive when the seeds disagree', () => {
    // differences +0.5, −0.25, +0.25: the interval straddles 0
    const r = sensitivityVerdict(adam, [{ challenger: 'lookahead', widths: [1, 1, 1.25] }, { challenger: 'radam', widths: [1, 0.25, 1] }]);
    expect(r.parts.map((p) => p.verdict)).toEqual(['holds', 'inconclusive']);
    expect(r.verdict).toBe('inconclusive');
  });
});

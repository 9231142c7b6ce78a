/**
 * Claim 4 (sparse features): the verdict rule on both sides of its threshold, and the online
 * loss measured as Duchi et al.'s regret needs it: each mini-batch scored before its step.
 */
import { describe, it, expect } from 'vitest';
import { nodeDatasets } from '../src/cli/race-env.js';
import { sparseFeatures, sparseVerdict } from '../src/race/claims/sparse-features.js';

describe('claim 4 verdict: SGD − Adagrad online loss, paired by seed, above 0', () => {
  it('holds when Adagrad is lower on every seed by a steady margin', () => {
    // differences 0.10, 0.12, 0.11: mean 0.11, sd 0.01, half-width 4.303·0.01/√3 ≈ 0.025 → [0.085, 0.135]
    const { verdict, effect } = sparseVerdict([0.3, 0.33, 0.31], [0.2, 0.21, 0.2]);
    expect(verdict).toBe('holds');
    expect(effect.lo).toBeCloseTo(0.11 - (4.303 * 0.01) / Math.sqrt(3), 6);
  });
  it('does not hold when SGD is lower on every seed', () => {
    expect(sparseVerdict([0.2, 0.21, 0.2], [0.3, 0.33, 0.31]).verdict).toBe('does not hold here');
  });
  it('is inconclusive when the seeds disagree', () => {
    // differences +0.05, −0.05, +0.01: the interval straddles 0
    expect(sparseVerdict([0.3, 0.2, 0.26], [0.25, 0.25, 0.25]).verdict).toBe('inconclusive');
  });
});

describe('claim 4 trial', () => {
  const env = { datasets: nodeDatasets(), now: () => performance.now() };
  const settings = { trainSize: 320, heldOut: 200, batchSize: 32, grids: { sgd: [10], adagrad: [1] } };
  it('scores each mini-batch before stepping on it: the first is ln 2 at w = 0, whatever the lr', () => {
    const result = sparseFeatures.runTrial({ budget: 'quick', optimizer: 'adagrad', lr: 3, seed: 0, settings }, env);
    expect(result.curveStride).toBe(1);
    expect(result.onlineCurve).toHaveLength(10);
    expect(result.onlineCurve[0]).toBeCloseTo(Math.LN2, 6);
    // The running mean ends at the online loss, and Adagrad learns: later batches score lower.
    expect(result.onlineCurve[9]).toBeCloseTo(result.onlineLoss, 12);
    expect(result.onlineLoss).toBeLessThan(0.9 * Math.LN2);
  });
});

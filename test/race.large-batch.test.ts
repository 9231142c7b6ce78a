/**
 * Claim 10 (LAMB/LARS at large batch): one pair's rule on both sides of 0, the pairs combined,
 * and the grid: every optimizer's own batch-32 lr scaled by the same factors.
 */
import { describe, it, expect } from 'vitest';
import { largeBatch, pairVerdict, SMALL_BATCH_LRS } from '../src/race/claims/large-batch.js';
import { everyVerdict } from '../src/race/claims/verdicts.js';
import { BUDGETS } from '../src/race/budget.js';
import { raceEntries } from '../src/race/entries.js';

describe('claim 10 verdict', () => {
  it('a pair holds when the layer-wise method is ahead on every seed by a steady margin', () => {
    // +0.5, +0.7, +0.6 points: [0.35, 0.85] points
    expect(pairVerdict([0.905, 0.907, 0.906], [0.9, 0.9, 0.9]).verdict).toBe('holds');
  });
  it('a pair does not hold when its base is ahead on every seed', () => {
    expect(pairVerdict([0.9, 0.9, 0.9], [0.905, 0.907, 0.906]).verdict).toBe('does not hold here');
  });
  it('a pair is inconclusive when the seeds disagree', () => {
    expect(pairVerdict([0.905, 0.895, 0.901], [0.9, 0.9, 0.9]).verdict).toBe('inconclusive');
  });
  it('the claim holds only when both pairs hold, and fails when either pair fails', () => {
    expect(everyVerdict(['holds', 'holds'])).toBe('holds');
    expect(everyVerdict(['holds', 'does not hold here'])).toBe('does not hold here');
    expect(everyVerdict(['holds', 'inconclusive'])).toBe('inconclusive');
  });
});

describe('claim 10 trials', () => {
  const plan = {
    budget: BUDGETS.default,
    seeds: [0, 1],
    entries: raceEntries(),
    has: () => true,
    settings: largeBatch.budgets.default,
    shared: {},
  };
  const specs = largeBatch.trials(plan);
  it('scales each optimizer’s batch-32 lr by ×0.5 … ×32, with ≥ 150 steps and the same warmup for all', () => {
    for (const id of ['lamb', 'adam', 'lars', 'momentum'] as const) {
      const lrs = [...new Set(specs.filter((s) => s.optimizer === id).map((s) => s.lr))];
      expect(lrs[0]! / SMALL_BATCH_LRS[id]).toBeCloseTo(0.5, 6);
      expect(lrs[lrs.length - 1]! / SMALL_BATCH_LRS[id]).toBeCloseTo(32, 6);
    }
    expect(specs.every((s) => s.steps >= 150 && s.shape.kind === 'cosine' && s.shape.warmupSteps === 15 && s.batchSize === 256)).toBe(true);
    expect(specs).toHaveLength(4 * 5 * 2);
  });
});

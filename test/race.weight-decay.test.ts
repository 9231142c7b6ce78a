/**
 * Claim 9 (AdamW vs Adam + L2): the rule's two gates on both sides of their thresholds: decay
 * must help on the task at all (a gain over λ = 0 above 0), then AdamW must beat Adam + L2;
 * and the seeds it runs over.
 */
import { describe, it, expect } from 'vitest';
import { weightDecay, weightDecayVerdict } from '../src/race/claims/weight-decay.js';
import { claimSeeds, planRace } from '../src/race/run.js';

describe('claim 9 verdict', () => {
  const control = [0.8, 0.81, 0.79];
  it('holds when decay helps and AdamW gains more than Adam + L2 on every seed', () => {
    // AdamW − L2: +1.0, +1.2, +0.8 points → [0.5, 1.5] points, above 0
    const r = weightDecayVerdict(control, [0.83, 0.84, 0.82], [0.84, 0.852, 0.828]);
    expect(r.regularizationMatters).toBe(true);
    expect(r.verdict).toBe('holds');
  });
  it('does not hold when decay helps and Adam + L2 gains more on every seed', () => {
    const r = weightDecayVerdict(control, [0.84, 0.852, 0.828], [0.83, 0.84, 0.82]);
    expect(r.verdict).toBe('does not hold here');
  });
  it('is inconclusive when the two gains are within the spread of each other', () => {
    // AdamW − L2: +1.0, −1.0, +0.2 points: the interval straddles 0
    expect(weightDecayVerdict(control, [0.83, 0.85, 0.82], [0.84, 0.84, 0.822]).verdict).toBe('inconclusive');
  });
  it('is inconclusive whatever the difference when decay helps neither method', () => {
    // Both "gains" are ≤ 0 on every seed; AdamW − L2 is steady at +1 point but says nothing.
    const r = weightDecayVerdict(control, [0.78, 0.79, 0.77], [0.79, 0.8, 0.78]);
    expect(r.regularizationMatters).toBe(false);
    expect(r.effect.lo).toBeGreaterThan(0);
    expect(r.verdict).toBe('inconclusive');
  });
  it('reads each gain against the control, paired by seed', () => {
    const r = weightDecayVerdict(control, [0.83, 0.84, 0.82], [0.81, 0.82, 0.8]);
    expect(r.gains.adam.differences.map((d) => Number(d.toFixed(6)))).toEqual([0.03, 0.03, 0.03]);
    expect(r.gains.adamw.differences.map((d) => Number(d.toFixed(6)))).toEqual([0.01, 0.01, 0.01]);
  });
});

describe('claim 9 seeds', () => {
  // Its effect (about 0.7 points) is close to its seed-to-seed sd (about 0.5 points): at the
  // default budget it runs three times the run's seeds from the same base, and --seeds scales it.
  it('runs three times the seeds at the default budget, from the same base', () => {
    expect(claimSeeds(weightDecay, planRace({ budget: 'default', seed: 100 }))).toEqual(Array.from({ length: 15 }, (_, k) => 100 + k));
    expect(claimSeeds(weightDecay, planRace({ budget: 'default', seeds: 2 }))).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('runs twice the seeds at --full (20, more than the default\'s 15) and the run\'s at --quick', () => {
    expect(claimSeeds(weightDecay, planRace({ budget: 'quick', seed: 7 }))).toEqual([7, 8, 9]);
    expect(claimSeeds(weightDecay, planRace({ budget: 'full' }))).toEqual(Array.from({ length: 20 }, (_, k) => k));
  });
  it('refuses a base seed whose widened range would pass the largest safe integer', () => {
    expect(() => planRace({ budget: 'default', seed: Number.MAX_SAFE_INTEGER - 7 })).toThrow(/run past the largest safe integer/);
  });
});

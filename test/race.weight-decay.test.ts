/**
 * Claim 9 (AdamW vs Adam + L2): the rule's two gates on both sides of their thresholds: decay
 * must help on the task at all (a gain over λ = 0 above 0), then AdamW must beat Adam + L2.
 */
import { describe, it, expect } from 'vitest';
import { weightDecayVerdict } from '../src/race/claims/weight-decay.js';

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

/**
 * Claim 8 (SGD + momentum with a schedule vs Adam): the non-inferiority rule on both sides of
 * its margin, and the trial's schedule: the same cosine for both, reaching 0 at the last step.
 */
import { describe, it, expect } from 'vitest';
import { NON_INFERIORITY_MARGIN, scheduleVerdict } from '../src/race/claims/schedule.js';
import { lrSchedule } from '../src/race/claims/task-runs.js';

describe('claim 8 verdict: SGD − Adam test accuracy, paired by seed, above −0.5 points', () => {
  it('is a margin of half a point', () => {
    expect(NON_INFERIORITY_MARGIN).toBe(-0.005);
  });
  it('holds when SGD is at most a little behind on every seed', () => {
    // differences −0.2, −0.1, −0.3 points: mean −0.2, sd 0.1, half-width 4.303·0.1/√3 ≈ 0.248 → [−0.45, 0.05] points
    expect(scheduleVerdict([0.908, 0.911, 0.905], [0.91, 0.912, 0.908]).verdict).toBe('holds');
  });
  it('does not hold when Adam is ahead by more than the margin on every seed', () => {
    // differences −1.0, −1.2, −0.8 points: the interval [−1.5, −0.5) lies below −0.5
    expect(scheduleVerdict([0.9, 0.898, 0.902], [0.91, 0.91, 0.91]).verdict).toBe('does not hold here');
  });
  it('is inconclusive when the interval straddles the margin', () => {
    // differences −0.2, −0.8, −0.5 points: [−1.25, 0.25] points
    expect(scheduleVerdict([0.908, 0.902, 0.905], [0.91, 0.91, 0.91]).verdict).toBe('inconclusive');
  });
});

describe('the task runs’ lr shapes', () => {
  it('cosine from the base lr to 0 at the last step, the same curve whatever the optimizer', () => {
    const lr = lrSchedule({ kind: 'cosine', warmupSteps: 0 }, 100)!(0.1);
    expect(lr(0)).toBeCloseTo(0.1, 12);
    expect(lr(50)).toBeCloseTo(0.05, 12);
    expect(lr(100)).toBeCloseTo(0, 12);
  });
  it('linear warmup from lr/W to lr over W steps, then constant or cosine', () => {
    // lr·(1/W + (1 − 1/W)·t/W) for t < W: 0.25, 0.4375, 0.625, 0.8125, then 1
    const warm = lrSchedule({ kind: 'warmup', warmupSteps: 4 }, 100)!(1);
    const ramp = [0.25, 0.4375, 0.625, 0.8125, 1];
    ramp.forEach((v, t) => expect(warm(t)).toBeCloseTo(v, 12));
    expect(warm(50)).toBe(1);
    const warmCosine = lrSchedule({ kind: 'cosine', warmupSteps: 4 }, 104)!(1);
    ramp.forEach((v, t) => expect(warmCosine(t)).toBeCloseTo(v, 12));
    expect(warmCosine(54)).toBeCloseTo(0.5, 12);
    expect(lrSchedule({ kind: 'constant' }, 100)).toBeUndefined();
  });
});

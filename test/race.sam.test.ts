/**
 * Claim 12 (SAM): the ρ compared is the largest that fits about as well as the base optimizer,
 * and the rule on the log ratio of top Hessian eigenvalues on both sides of 0.
 */
import { describe, it, expect } from 'vitest';
import { comparableRho, COMPARABLE_LOSS, samVerdict } from '../src/race/claims/sam.js';

describe('comparableRho', () => {
  const losses = [
    { rho: 0.2, loss: 0.15 },
    { rho: 0.02, loss: 0.1 },
    { rho: 0.05, loss: 0.104 },
    { rho: 0.1, loss: 0.12 },
  ];
  it('takes the largest ρ whose training loss is within 10 % of the base’s', () => {
    expect(COMPARABLE_LOSS).toBe(1.1);
    // base 0.1: limit 0.11 admits 0.02 and 0.05; at base 0.11 the limit 0.121 admits 0.1 too
    expect(comparableRho(0.1, losses)).toBe(0.05);
    expect(comparableRho(0.11, losses)).toBe(0.1);
  });
  it('falls back to the smallest ρ when none fits, and refuses an empty sweep', () => {
    expect(comparableRho(0.05, losses)).toBe(0.02);
    expect(() => comparableRho(0.1, [])).toThrow(/no radius/);
  });
});

describe('claim 12 verdict: log(λ_max SAM / λ_max base), paired by seed, below 0', () => {
  it('holds when SAM is flatter on every seed by a steady factor', () => {
    // ratios 0.8, 0.82, 0.78: logs ≈ −0.223, −0.198, −0.248, interval well below 0
    const { verdict, effect } = samVerdict([2, 2.5, 1.8], [1.6, 2.05, 1.404]);
    expect(verdict).toBe('holds');
    expect(Math.exp(effect.mean)).toBeCloseTo(0.8, 2);
  });
  it('does not hold when SAM is sharper on every seed', () => {
    expect(samVerdict([1.6, 2.05, 1.404], [2, 2.5, 1.8]).verdict).toBe('does not hold here');
  });
  it('is inconclusive when the seeds disagree', () => {
    expect(samVerdict([2, 2, 2], [1.6, 2.4, 2.1]).verdict).toBe('inconclusive');
  });
});

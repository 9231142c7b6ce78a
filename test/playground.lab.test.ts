/**
 * The momentum lab's picture, as numbers: on curvatures 1 and 25 (κ = 25), heavy ball at
 * Polyak's tuning contracts by (√κ − 1)/(√κ + 1) = 2/3 per step, plain GD at its best rate
 * 2/(L + ℓ) by (κ − 1)/(κ + 1) = 12/13; reaching 10⁻⁶ of f(start) then takes about
 * ln(10⁶)/(2 ln 1.5) ≈ 17 (+ transient) against ln(10⁶)/(2 ln(13/12)) ≈ 86 steps. Rotating the
 * quadratic changes nothing for either: both are rotation-invariant.
 */
import { describe, it, expect } from 'vitest';
import { getSurface } from '../playground/src/library.js';
import { stepsToConverge, polyakOptimum, labAxes, CURVATURES } from '../playground/src/lab.js';

describe('the momentum lab', () => {
  const { lr, momentum } = polyakOptimum();
  const gdLr = 2 / (CURVATURES.low + CURVATURES.high);

  it("places Polyak's tuning at γ = 4/(√L + √ℓ)², μ = ((√κ − 1)/(√κ + 1))²", () => {
    expect(lr).toBeCloseTo(4 / 36, 12);
    expect(momentum).toBeCloseTo(4 / 9, 12);
  });

  it('heavy ball at that tuning converges in about √κ-scaled steps, GD in κ-scaled ones', () => {
    for (const name of ['ill-conditioned', 'ill-conditioned-rotated']) {
      const surface = getSurface(name);
      const heavy = stepsToConverge(surface, lr, momentum, 400)!;
      const plain = stepsToConverge(surface, gdLr, 0, 400)!;
      expect(heavy, name).toBeGreaterThan(17);
      expect(heavy, name).toBeLessThan(40);
      expect(plain, name).toBeGreaterThan(80);
      expect(plain, name).toBeLessThan(110);
    }
  });

  it('the rotation does not change the steps (the grid is the same picture twice)', () => {
    const [axis, rotated] = ['ill-conditioned', 'ill-conditioned-rotated'].map(getSurface);
    for (const [rate, mu] of [[lr, momentum], [gdLr, 0], [0.05, 0.8]] as const) {
      const a = stepsToConverge(axis!, rate, mu, 400)!;
      const b = stepsToConverge(rotated!, rate, mu, 400)!;
      expect(Math.abs(a - b), `lr ${rate}, μ ${mu}: ${a} vs ${b}`).toBeLessThanOrEqual(3);
    }
  });

  it('a rate past the stability limit 2(1 + μ)/L never converges', () => {
    const surface = getSurface('ill-conditioned');
    expect(stepsToConverge(surface, (2 * 1.5) / 25 * 0.98, 0.5, 400)).not.toBeNull();
    expect(stepsToConverge(surface, (2 * 1.5) / 25 * 1.02, 0.5, 400)).toBeNull();
  });

  it('spans the rates and momenta the picture needs', () => {
    const { lrs, momenta } = labAxes(24);
    expect(lrs[0]!).toBeLessThan(gdLr / 10);
    expect(lrs.at(-1)!).toBeGreaterThan((2 * 2) / 25);
    expect(momenta[0]).toBe(0);
    expect(momenta.at(-1)!).toBeGreaterThan(0.95);
  });
});

/**
 * The momentum lab's picture, as numbers: on curvatures 1 and κ, heavy ball at Polyak's tuning
 * contracts by (√κ − 1)/(√κ + 1) per step, plain GD at its best rate 2/(1 + κ) by
 * (κ − 1)/(κ + 1); reaching 10⁻⁶ of f(start) (f shrinks by the square) then takes about
 * ln(10⁶)/(2 ln((√κ + 1)/(√κ − 1))) steps (+ a transient) against ln(10⁶)/(2 ln((κ + 1)/(κ − 1))).
 * For κ = 25 that is ≈ 17 against ≈ 86; for κ = 100, ≈ 35 against ≈ 345. Turning the bowl
 * changes nothing for either: both methods are rotation-invariant.
 */
import { describe, it, expect } from 'vitest';
import { stepsToConverge, polyakOptimum, labAxes, labSurfaces, LAB_CONDITIONS } from '../playground/src/lab.js';

const predicted = (rate: number): number => Math.log(1e6) / (2 * Math.log(1 / rate));

describe('the momentum lab', () => {
  it("places Polyak's tuning at γ = 4/(√κ + 1)², μ = ((√κ − 1)/(√κ + 1))²", () => {
    expect(polyakOptimum(25).lr).toBeCloseTo(4 / 36, 12);
    expect(polyakOptimum(25).momentum).toBeCloseTo(4 / 9, 12);
    expect(polyakOptimum(100).momentum).toBeCloseTo((9 / 11) ** 2, 12);
  });

  it('heavy ball at that tuning needs √κ-scaled steps, GD at its best rate κ-scaled ones, on both bowls', () => {
    for (const condition of [25, 100]) {
      const root = Math.sqrt(condition);
      const { lr, momentum } = polyakOptimum(condition);
      const heavyPredicted = predicted((root - 1) / (root + 1));
      const plainPredicted = predicted((condition - 1) / (condition + 1));
      for (const bowl of labSurfaces(condition)) {
        const heavy = stepsToConverge(bowl, lr, momentum, 1000)!;
        const plain = stepsToConverge(bowl, 2 / (1 + condition), 0, 1000)!;
        // heavy ball's transient (a Jordan block at the optimum) costs it up to about twice the rate's count
        expect(heavy, `${bowl.name} heavy`).toBeGreaterThanOrEqual(Math.floor(heavyPredicted));
        expect(heavy, `${bowl.name} heavy`).toBeLessThan(2.2 * heavyPredicted);
        expect(plain, `${bowl.name} GD`).toBeGreaterThanOrEqual(Math.floor(0.9 * plainPredicted));
        expect(plain, `${bowl.name} GD`).toBeLessThan(1.1 * plainPredicted);
      }
    }
  });

  it('the turn does not change the steps (the grid is the same picture twice)', () => {
    const [axis, turned] = labSurfaces(25);
    const { lr, momentum } = polyakOptimum(25);
    for (const [rate, mu] of [[lr, momentum], [2 / 26, 0], [0.05, 0.8], [0.05, 0.3]] as const) {
      const a = stepsToConverge(axis, rate, mu, 400);
      const b = stepsToConverge(turned, rate, mu, 400);
      expect(a, `lr ${rate}, μ ${mu}`).not.toBeNull();
      expect(Math.abs(a! - b!), `lr ${rate}, μ ${mu}: ${a} vs ${b}`).toBeLessThanOrEqual(1);
    }
  });

  it('a rate past the stability limit 2(1 + μ)/κ never converges', () => {
    const [axis] = labSurfaces(25);
    expect(stepsToConverge(axis, ((2 * 1.5) / 25) * 0.98, 0.5, 400)).not.toBeNull();
    expect(stepsToConverge(axis, ((2 * 1.5) / 25) * 1.02, 0.5, 400)).toBeNull();
  });

  it("spans rates on both sides of GD's best and of the stability limit, for every κ offered", () => {
    for (const condition of LAB_CONDITIONS) {
      const { lrs, momenta } = labAxes(24, condition);
      expect(lrs[0]!).toBeLessThan(2 / (1 + condition) / 10);
      expect(lrs.at(-1)!).toBeGreaterThan((2 * 1.98) / condition);
      expect(momenta[0]).toBe(0);
      expect(momenta.at(-1)!).toBeGreaterThan(polyakOptimum(condition).momentum);
    }
  });
});

/**
 * Every surface carries a hand-derived gradient. Autograd differentiates the same function
 * written with tensor ops, so the two must agree wherever both are evaluated in float64;
 * at a listed minimum or saddle both must vanish.
 */
import { describe, it, expect } from 'vitest';
import { tensor } from '../src/tensor/index.js';
import { Generator } from '../src/tensor/random.js';
import { surfaces, getSurface, clampPoint, nearestMinimum, type Surface, type Point } from '../src/surfaces/index.js';
import { assertAllclose } from './helpers/allclose.js';

function autogradAt(surface: Surface, [x, y]: Point): { value: number; gradient: number[] } {
  const point = tensor([x, y], [2], { dtype: 'float64', requiresGrad: true });
  const value = surface.tensorValue(point);
  value.backward();
  return { value: value.item(), gradient: Array.from((point.grad as typeof point).data) };
}

/** A 5 × 5 grid over the plot domain, the start, and six seeded random points inside it. */
function probePoints(surface: Surface): Point[] {
  const { x, y } = surface.domain;
  const points: Point[] = [surface.start];
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      points.push([x.min + ((i + 0.37) / 5) * (x.max - x.min), y.min + ((j + 0.61) / 5) * (y.max - y.min)]);
    }
  }
  const generator = new Generator(2024);
  for (let k = 0; k < 6; k++) {
    points.push([x.min + generator.uniform() * (x.max - x.min), y.min + generator.uniform() * (y.max - y.min)]);
  }
  return points;
}

describe.each(surfaces.map((s) => [s.name, s] as const))('surface %s', (_name, surface) => {
  it('has an analytic gradient equal to autograd in float64 across its domain', () => {
    for (const point of probePoints(surface)) {
      const reference = autogradAt(surface, point);
      const analytic = Array.from(surface.gradient(point[0], point[1]));
      const label = `${surface.name} at (${point[0].toFixed(3)}, ${point[1].toFixed(3)})`;
      // Both sides are float64 evaluations of one formula in different orders: only rounding separates them.
      assertAllclose([surface.value(point[0], point[1])], [reference.value], { rtol: 1e-12, atol: 1e-12 }, `${label}: value`);
      assertAllclose(analytic, reference.gradient, { rtol: 1e-10, atol: 1e-10 }, `${label}: gradient`);
    }
  });

  it('has zero gradient at its known minima and saddles', () => {
    // Himmelblau's and the sharp–flat wells' points were polished by Newton's method;
    // the others are exact, so 1e-9 bounds the rounding in a gradient of size ~1 terms.
    for (const { point } of surface.minima) {
      assertAllclose(Array.from(surface.gradient(point[0], point[1])), [0, 0], { atol: 1e-9 }, `${surface.name}: ∇f at minimum (${point.join(', ')})`);
    }
    for (const point of surface.saddles) {
      assertAllclose(Array.from(surface.gradient(point[0], point[1])), [0, 0], { atol: 1e-9 }, `${surface.name}: ∇f at saddle (${point.join(', ')})`);
    }
  });

  it('lists minima no higher than their neighbourhood, and global ones as the lowest', () => {
    const lowest = Math.min(...surface.minima.map((m) => m.value));
    for (const { point, value, global } of surface.minima) {
      for (const [dx, dy] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3], [7e-4, 7e-4]]) {
        expect(surface.value(point[0] + dx!, point[1] + dy!)).toBeGreaterThan(value);
      }
      if (global) expect(value).toBeCloseTo(lowest, 12);
      else expect(value).toBeGreaterThan(lowest);
    }
  });

  it('starts inside its domain, at a point that is not already stationary', () => {
    const [x, y] = surface.start;
    expect(clampPoint(surface.domain, x, y)).toEqual([x, y]);
    const [gx, gy] = surface.gradient(x, y);
    expect(Math.hypot(gx!, gy!)).toBeGreaterThan(1e-4);
  });
});

describe('surface zoo', () => {
  it('names every surface the issue asks for', () => {
    expect(surfaces.map((s) => s.name)).toEqual([
      'rosenbrock',
      'beale',
      'himmelblau',
      'rastrigin',
      'saddle',
      'bounded-saddle',
      'ill-conditioned',
      'ill-conditioned-rotated',
      'two-well',
      'plateau',
      'sharp-flat',
    ]);
  });

  it('knows Himmelblau four global minima at f = 0', () => {
    const himmelblau = getSurface('himmelblau');
    expect(himmelblau.minima).toHaveLength(4);
    assertAllclose(himmelblau.minima.map((m) => m.value), [0, 0, 0, 0], { atol: 1e-20 }, 'Himmelblau minima values');
    // The literature's six-decimal positions, which Newton polishing must not move away from.
    assertAllclose(himmelblau.minima.flatMap((m) => m.point), [3, 2, -2.805118, 3.131312, -3.77931, -3.283186, 3.584428, -1.848126], { atol: 1e-6 }, 'Himmelblau minima positions');
  });

  it('gives the two-well bowl a poor local minimum and a better global one', () => {
    const twoWell = getSurface('two-well');
    const [global, local] = twoWell.minima;
    // f(−3/2, 0) = 81/64 − 27/48 − 27/16 = −63/64 and f(1, 0) = 1/4 + 1/6 − 3/4 = −1/3
    assertAllclose([global!.value, local!.value], [-63 / 64, -1 / 3], { rtol: 1e-14 }, 'two-well minima');
    expect(nearestMinimum(twoWell, [0.9, 0.1])?.minimum.global).toBe(false);
  });

  it('keeps unbounded surfaces inside their domain', () => {
    const saddle = getSurface('saddle');
    expect(saddle.clampToDomain).toBe(true);
    expect(clampPoint(saddle.domain, 0.5, -9)).toEqual([0.5, -2]);
  });

  it('rejects an unknown surface by listing the valid ones', () => {
    expect(() => getSurface('banana')).toThrow(/unknown surface "banana"; valid surfaces: rosenbrock, beale, himmelblau/);
  });
});

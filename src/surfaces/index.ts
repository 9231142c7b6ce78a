/**
 * 2-D test surfaces for optimizers, shared by the tests, the `descent` CLI and the playground.
 */
import type { Surface } from './surface.js';
import { rosenbrock, beale, himmelblau, rastrigin, saddle, boundedSaddle, illConditioned, illConditionedRotated, twoWell, plateau, sharpFlat } from './functions.js';

export type { Surface, Point, Range, Domain, KnownMinimum, GradientOut, SurfaceDefinition } from './surface.js';
export { defineSurface, clampPoint, inside, nearestMinimum } from './surface.js';
export { quadraticBowl, quadraticHessian, QuadraticForm, logSpacedSpectrum, randomRotation, type QuadraticBowlOptions } from './quadratic.js';
export { rosenbrock, beale, himmelblau, rastrigin, saddle, boundedSaddle, illConditioned, illConditionedRotated, twoWell, plateau, sharpFlat };

/** Every surface, in the order the CLI lists them. */
export const surfaces: readonly Surface[] = [
  rosenbrock,
  beale,
  himmelblau,
  rastrigin,
  saddle,
  boundedSaddle,
  illConditioned,
  illConditionedRotated,
  twoWell,
  plateau,
  sharpFlat,
];

export const surfaceNames: readonly string[] = surfaces.map((s) => s.name);

/** The surface called `name`; an unknown name is an error that lists the valid ones. */
export function getSurface(name: string): Surface {
  const found = surfaces.find((s) => s.name === name);
  if (found === undefined) throw new RangeError(`unknown surface ${JSON.stringify(name)}; valid surfaces: ${surfaceNames.join(', ')}`);
  return found;
}

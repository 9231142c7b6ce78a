/**
 * The momentum lab: heavy-ball SGD (the library's SGD with momentum) on the ill-conditioned
 * quadratics, for every (lr, μ) of a grid, coloured by the steps it takes to bring f below a
 * millionth of its start. Polyak's tuning for curvatures ℓ and L, γ* = 4/(√L + √ℓ)² and
 * μ* = ((√κ − 1)/(√κ + 1))², is marked: the fast region sits around it, and its steps grow
 * like √κ where plain GD's grow like κ.
 */
import { findContestant, getSurface, type Surface } from './library.js';
import { Trajectory } from './simulation.js';

export interface LabGrid {
  readonly surface: string;
  readonly lrs: readonly number[];
  readonly momenta: readonly number[];
  /** Steps to reach the target, row by momentum then column by lr; null: not within `cap`. */
  readonly steps: (number | null)[];
  readonly cap: number;
}

export const LAB_SURFACES = ['ill-conditioned', 'ill-conditioned-rotated'] as const;
/** The curvatures of both quadratics (the rotated one turns the same matrix by 45°). */
export const CURVATURES = { low: 1, high: 25 } as const;
const TARGET_FRACTION = 1e-6;

export function labAxes(size: number): { lrs: number[]; momenta: number[] } {
  const lrs = Array.from({ length: size }, (_, k) => 10 ** (-3 + (3 * k) / (size - 1)) * 0.2);
  const momenta = Array.from({ length: size }, (_, k) => (0.98 * k) / (size - 1));
  return { lrs, momenta };
}

/** Polyak's heavy-ball tuning for a quadratic with curvatures in [low, high]. */
export function polyakOptimum(): { lr: number; momentum: number } {
  const { low, high } = CURVATURES;
  const lr = 4 / (Math.sqrt(high) + Math.sqrt(low)) ** 2;
  const root = Math.sqrt(high / low);
  return { lr, momentum: ((root - 1) / (root + 1)) ** 2 };
}

/** Steps of heavy ball from the surface's start until f ≤ 10⁻⁶ f(start), or null. */
export function stepsToConverge(surface: Surface, lr: number, momentum: number, cap: number): number | null {
  const contestant = findContestant('momentum')!;
  const run = new Trajectory(contestant, { surface, start: surface.start, optimizerOptions: { lr, momentum }, wrapperOptions: {}, noise: { sigma: 0, seed: 0 } });
  const target = TARGET_FRACTION * run.startValue;
  for (let t = 1; t <= cap; t++) {
    if (!run.step()) return null;
    if (run.records[t - 1]!.value <= target) return t;
  }
  return null;
}

/** Fills a grid a row at a time, yielding between rows so the page stays responsive. */
export async function computeGrid(surfaceName: string, size: number, cap: number, onRow: (grid: LabGrid) => void): Promise<LabGrid> {
  const surface = getSurface(surfaceName);
  const { lrs, momenta } = labAxes(size);
  const steps: (number | null)[] = Array(size * size).fill(null);
  const grid: LabGrid = { surface: surfaceName, lrs, momenta, steps, cap };
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) steps[row * size + col] = stepsToConverge(surface, lrs[col]!, momenta[row]!, cap);
    onRow(grid);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return grid;
}

/**
 * The momentum lab: heavy-ball SGD (the library's SGD with momentum) on a quadratic bowl of
 * condition κ (curvatures 1 and κ), axis-aligned and turned by 45°, for every (lr, μ) of a
 * grid, coloured by the steps it takes to bring f below a millionth of its start. Polyak's
 * tuning γ* = 4/(√κ + 1)², μ* = ((√κ − 1)/(√κ + 1))² is marked: the fast region sits around
 * it, and its steps grow like √κ where plain GD's grow like κ.
 */
import { findContestant, quadraticBowl, type Surface } from './library.js';
import { Trajectory } from './simulation.js';

export interface LabGrid {
  readonly title: string;
  readonly condition: number;
  readonly lrs: readonly number[];
  readonly momenta: readonly number[];
  /** Steps to reach the target, row by momentum then column by lr; null: not within `cap`. */
  readonly steps: (number | null)[];
  readonly cap: number;
}

/** The conditions the lab offers (κ = 25 is the race's ill-conditioned pair). */
export const LAB_CONDITIONS = [10, 25, 100] as const;
const TARGET_FRACTION = 1e-6;

/** The bowl of condition κ, axis-aligned and turned by 45°, from the same start along its flat direction. */
export function labSurfaces(condition: number): [Surface, Surface] {
  return [quadraticBowl({ condition }), quadraticBowl({ condition, angleDegrees: 45 })];
}

/** Rates from 1/300 to 1 × 5/κ (log; past the stability limit 2(1 + μ)/κ), momenta from 0 to 0.98. */
export function labAxes(size: number, condition: number): { lrs: number[]; momenta: number[] } {
  const lrs = Array.from({ length: size }, (_, k) => (5 / condition) * 10 ** (-2.5 + (2.5 * k) / (size - 1)));
  const momenta = Array.from({ length: size }, (_, k) => (0.98 * k) / (size - 1));
  return { lrs, momenta };
}

/** Polyak's heavy-ball tuning for a quadratic with curvatures 1 and κ. */
export function polyakOptimum(condition: number): { lr: number; momentum: number } {
  const root = Math.sqrt(condition);
  return { lr: 4 / (root + 1) ** 2, momentum: ((root - 1) / (root + 1)) ** 2 };
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
export async function computeGrid(surface: Surface, condition: number, size: number, cap: number, onRow: (grid: LabGrid) => void): Promise<LabGrid> {
  const { lrs, momenta } = labAxes(size, condition);
  const steps: (number | null)[] = Array(size * size).fill(null);
  const grid: LabGrid = { title: surface.title, condition, lrs, momenta, steps, cap };
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) steps[row * size + col] = stepsToConverge(surface, lrs[col]!, momenta[row]!, cap);
    onRow(grid);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return grid;
}

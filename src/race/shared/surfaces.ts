/**
 * Shared run: every optimizer on every 2-D surface, its learning rate swept (the budget's
 * factors around its surface centre), from the surface's start. Deterministic: no seeds.
 * The report draws each surface's trajectories at the chosen learning rates; claims 1 and 2
 * read the sweeps.
 */
import { surfaces as allSurfaces, getSurface, nearestMinimum, type Surface } from '../../surfaces/index.js';
import { raceEntry } from '../entries.js';
import { runOnSurface, firstBelow } from '../harness.js';
import { lrGrid } from '../sweep.js';
import type { ClaimPlan, Experiment, SurfaceOutcome, SurfaceRunData, SurfacesOutcome, TrialRecord } from '../types.js';

/** The lowest value a surface reaches: its global minimum, or the lowest point of its domain. */
export function surfaceFloor(surface: Surface): number {
  if (surface.minima.length > 0) return Math.min(...surface.minima.map((m) => m.value));
  let lowest = Number.POSITIVE_INFINITY;
  const { x, y } = surface.domain;
  for (let i = 0; i <= 200; i++) {
    for (let j = 0; j <= 200; j++) lowest = Math.min(lowest, surface.value(x.min + ((x.max - x.min) * i) / 200, y.min + ((y.max - y.min) * j) / 200));
  }
  return lowest;
}

/** f* + 10⁻³ (f(start) − f*): "reached the minimum". */
export function surfaceTarget(surface: Surface): number {
  const floor = surfaceFloor(surface);
  return floor + 1e-3 * (surface.value(surface.start[0], surface.start[1]) - floor);
}

export interface SurfaceTrialSpec {
  readonly surface: string;
  readonly optimizer: string;
  readonly lr: number;
  readonly steps: number;
  readonly start?: readonly [number, number];
}

/** One optimizer at one learning rate on one surface, with its whole path. */
export function runSurfaceTrial(spec: SurfaceTrialSpec): SurfaceRunData {
  const surface = getSurface(spec.surface);
  const entry = raceEntry(spec.optimizer);
  // An optimizer of matrices only (Muon) sees the point as a 1 × 2 matrix.
  const asMatrix = entry.spec.acceptsParam?.([2]) != null;
  const trace = runOnSurface(surface, entry.factory(), spec.lr, { steps: spec.steps, start: spec.start ?? surface.start, asMatrix });
  const end: [number, number] = [trace.points[2 * trace.steps]!, trace.points[2 * trace.steps + 1]!];
  const nearest = trace.diverged ? null : nearestMinimum(surface, end);
  const points: number[] = [];
  for (let t = 0; t <= trace.steps; t++) {
    const x = trace.points[2 * t]!;
    const y = trace.points[2 * t + 1]!;
    if (Number.isFinite(x) && Number.isFinite(y)) points.push(x, y);
  }
  return {
    optimizer: spec.optimizer,
    lr: spec.lr,
    finalValue: trace.diverged ? Number.POSITIVE_INFINITY : trace.values[trace.steps]!,
    finalPoint: end,
    distanceToMinimum: nearest === null ? null : nearest.distance,
    stepsToTarget: firstBelow(trace.values, surfaceTarget(surface)),
    diverged: trace.diverged,
    points,
  };
}

/** Score of a surface run: its final value, then (among runs that reach the floor) how fast. */
function score(run: SurfaceRunData, steps: number): number {
  return run.diverged ? Number.POSITIVE_INFINITY : run.finalValue + 1e-9 * (run.stepsToTarget ?? steps + 1);
}

export const surfacesStage: Experiment<null, SurfaceTrialSpec, SurfaceRunData, SurfacesOutcome> & { readonly id: 'surfaces' } = {
  id: 'surfaces',
  budgets: { quick: null, default: null, full: null },
  shared: [],
  seeded: false,
  trials(plan: ClaimPlan<null>): SurfaceTrialSpec[] {
    const steps = plan.budget.surfaceSteps;
    return allSurfaces.flatMap((surface) =>
      plan.entries
        .filter((e) => e.gradients !== 'sparse')
        .flatMap((entry) => lrGrid(entry.centerLr.surface, plan.budget.surfaceLrFactors).map((lr) => ({ surface: surface.name, optimizer: entry.id, lr, steps }))),
    );
  },
  runTrial: (spec) => runSurfaceTrial(spec),
  conclude(done: ReadonlyArray<TrialRecord<SurfaceTrialSpec, SurfaceRunData>>, plan): SurfacesOutcome {
    const steps = plan.budget.surfaceSteps;
    const outcomes: SurfaceOutcome[] = allSurfaces.map((surface) => {
      const optimizers = [...new Set(done.filter((d) => d.spec.surface === surface.name).map((d) => d.spec.optimizer))];
      const sweeps = optimizers.map((optimizer) => {
        const runs = done
          .filter((d) => d.spec.surface === surface.name && d.spec.optimizer === optimizer)
          .map((d) => d.result)
          .sort((a, b) => a.lr - b.lr);
        let best = 0;
        runs.forEach((run, k) => {
          const s = score(run, steps);
          const b = score(runs[best]!, steps);
          if (s < b) best = k;
        });
        // Only the chosen run's path is kept: the report draws it, and results.json stays small.
        return { optimizer, best, runs: runs.map((run, k) => (k === best ? run : { ...run, points: [] })) };
      });
      return { surface: surface.name, target: surfaceTarget(surface), sweeps };
    });
    return { steps, surfaces: outcomes };
  },
};

/**
 * The two stages every claim builds on: each optimizer on each surface (a learning-rate
 * sweep per surface, trajectories drawn over the contours), and each optimizer on the table
 * task (a sweep that fixes the learning rate the MNIST claims reuse).
 */
import { surfaces as allSurfaces, nearestMinimum, type Surface } from '../../surfaces/index.js';
import { trajectoryPlot, lineChart } from '../report/charts.js';
import { runOnSurface, firstBelow, trainClassifier, tailMean, smooth, type SurfaceTrace, type TrainResult } from './harness.js';
import { sweep, type RaceContext, type Sweep } from './context.js';
import { parameterCount, stateBytes } from './probes.js';
import type { SurfaceResult, TableRow } from './results.js';

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

/** Surface-capable entries: every one that takes dense gradients. */
function denseEntries(context: RaceContext) {
  return context.entries.filter((e) => e.gradients !== 'sparse');
}

export function runSurfaceStage(context: RaceContext): SurfaceResult[] {
  const steps = context.budget.surfaceSteps;
  const results: SurfaceResult[] = [];
  for (const surface of allSurfaces) {
    context.progress.stage(`surface ${surface.name}`);
    const floor = surfaceFloor(surface);
    const target = floor + 1e-3 * (surface.value(surface.start[0], surface.start[1]) - floor);
    const byEntry = new Map<string, Sweep<SurfaceTrace>>();
    for (const entry of denseEntries(context)) {
      const factory = entry.factory();
      // Score: the final value, then (for runs that all reach the floor) how fast they got there.
      const swept = sweep(
        context.surfaceLrs(entry),
        (lr) => runOnSurface(surface, factory, lr, { steps }),
        (trace) => (trace.diverged ? Number.POSITIVE_INFINITY : trace.values[trace.steps]! + 1e-9 * (firstBelow(trace.values, target) ?? steps + 1)),
      );
      byEntry.set(entry.id, swept);
    }
    context.surfaceStages.set(surface.name, { surface, target, byEntry });
    const chart = `surface-${surface.name}.svg`;
    context.charts.set(
      chart,
      trajectoryPlot({
        surface,
        title: `${surface.title}: ${surface.formula}`,
        trajectories: [...byEntry].map(([id, s]) => ({
          name: `${context.entry(id).label} (lr ${s.best.lr})`,
          color: context.color(id),
          points: pairs(s.best.result),
        })),
      }),
    );
    results.push({
      surface: surface.name,
      steps,
      target,
      chart,
      runs: [...byEntry].map(([id, s]) => {
        const trace = s.best.result;
        const end: [number, number] = [trace.points[2 * trace.steps]!, trace.points[2 * trace.steps + 1]!];
        const nearest = nearestMinimum(surface, end);
        return {
          optimizer: id,
          lr: s.best.lr,
          finalValue: trace.diverged ? Number.POSITIVE_INFINITY : trace.values[trace.steps]!,
          finalPoint: end,
          distanceToMinimum: nearest === null ? null : nearest.distance,
          stepsToTarget: firstBelow(trace.values, target),
        };
      }),
    });
    context.progress.advance(1, `surface ${surface.name}: ${byEntry.size} optimizers × ${context.budget.surfaceLrFactors.length} learning rates × ${steps} steps`);
  }
  return results;
}

/** A trace's points as [x, y] pairs, up to where it stopped. */
export function pairs(trace: SurfaceTrace): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = 0; t <= trace.steps; t++) {
    const x = trace.points[2 * t]!;
    const y = trace.points[2 * t + 1]!;
    if (Number.isFinite(x) && Number.isFinite(y)) out.push([x, y]);
  }
  return out;
}

/** The score of a training run: its mean loss over the last fifth of the steps. */
export function trainingScore(result: TrainResult): number {
  return result.diverged ? Number.POSITIVE_INFINITY : tailMean(result.losses, Math.max(5, Math.round(result.losses.length / 5)));
}

export function runTableStage(context: RaceContext): void {
  const { batchSize, tableSteps } = context.budget;
  const task = context.mnist;
  for (const entry of denseEntries(context)) {
    context.progress.stage(`table: ${entry.label}`);
    const factory = entry.factory();
    const swept = sweep(context.networkLrs(entry), (lr) => trainClassifier(task, factory, { steps: tableSteps, batchSize, seed: context.seed, lr }), trainingScore, { extendEdges: 2 });
    context.tableSweeps.set(entry.id, swept);
    context.progress.advance(1, `table: ${entry.label}, lr ${swept.best.lr} (of ${swept.all.map((p) => p.lr).join(', ')}), loss ${swept.best.score.toFixed(3)}`);
  }
  context.charts.set(
    'loss-table-task.svg',
    lineChart({
      title: `Training loss (EMA) on ${task.name}, each optimizer at its chosen lr`,
      xLabel: 'step',
      yLabel: 'cross-entropy',
      logY: true,
      series: [...context.tableSweeps].map(([id, s]) => ({
        name: context.entry(id).label,
        color: context.color(id),
        points: Array.from(smooth(s.best.result.losses), (v, t) => [t + 1, v] as [number, number]),
      })),
    }),
  );
}

/** The comparison table's rows: measured on the table task (and the sparse task for SparseAdam). */
export function tableRows(context: RaceContext): { rows: TableRow[]; msPerStep: Record<string, number> } {
  const rows: TableRow[] = [];
  const msPerStep: Record<string, number> = {};
  for (const entry of context.entries) {
    const swept = context.tableSweeps.get(entry.id);
    if (swept) {
      const run = swept.best.result;
      const params = run.model.parameters();
      rows.push({
        optimizer: entry.id,
        label: entry.label,
        lr: swept.best.lr,
        momentum: entry.momentum,
        adaptive: entry.adaptive,
        stateBytesPerParam: stateBytes(run.optimizer, params) / parameterCount(params),
        finalLoss: run.trainLoss,
        finalAccuracy: run.testAccuracy,
        stepsToTarget: firstBelow(smooth(run.losses), context.budget.lossTarget),
      });
      msPerStep[entry.id] = run.msPerStep;
      continue;
    }
    const side = context.sideRows.get(entry.id);
    if (side) {
      rows.push({
        optimizer: entry.id,
        label: `${entry.label} †`,
        lr: side.lr,
        momentum: entry.momentum,
        adaptive: entry.adaptive,
        stateBytesPerParam: side.stateBytesPerParam,
        finalLoss: side.finalLoss,
        finalAccuracy: side.finalAccuracy,
        stepsToTarget: null,
      });
      msPerStep[entry.id] = side.msPerStep;
    }
  }
  return { rows, msPerStep };
}

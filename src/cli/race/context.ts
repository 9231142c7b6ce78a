/**
 * What every stage of a race shares: the budget, the seed, the contestants, the charts
 * drawn so far, and the results of the stages the claims build on (learning rates chosen on
 * the table task and on each surface).
 */
import type { Surface } from '../../surfaces/index.js';
import { paletteColor } from '../report/svg.js';
import type { Progress } from '../report/terminal.js';
import type { BudgetConfig } from './budget.js';
import { raceEntries, type RaceEntry } from './entries.js';
import type { SurfaceTrace, TrainResult } from './harness.js';
import { mnistTask, type MnistTask } from './tasks.js';

export interface SweepPoint<T> {
  readonly lr: number;
  readonly score: number;
  readonly result: T;
}

export interface Sweep<T> {
  readonly best: SweepPoint<T>;
  readonly all: ReadonlyArray<SweepPoint<T>>;
}

export interface SweepOptions {
  /**
   * When the best learning rate is the grid's largest (or smallest), try up to this many
   * more beyond it, each one grid ratio further, so that the choice is not an artefact of
   * where the grid happens to end. Default 0.
   */
  readonly extendEdges?: number;
}

/**
 * Runs `run` at every learning rate and keeps the one with the lowest score (a diverged or
 * NaN run scores +∞). Ties go to the smaller learning rate, the safer choice.
 */
export function sweep<T>(lrs: readonly number[], run: (lr: number) => T, score: (result: T) => number, { extendEdges = 0 }: SweepOptions = {}): Sweep<T> {
  const evaluate = (lr: number): SweepPoint<T> => {
    const result = run(lr);
    const raw = score(result);
    return { lr, result, score: Number.isNaN(raw) ? Number.POSITIVE_INFINITY : raw };
  };
  const all = lrs.map(evaluate);
  const bestOf = (): SweepPoint<T> => {
    let best = all[0]!;
    for (const point of all) if (point.score < best.score || (point.score === best.score && point.lr < best.lr)) best = point;
    return best;
  };
  if (lrs.length >= 2) {
    const ratio = lrs[lrs.length - 1]! / lrs[lrs.length - 2]!;
    for (let extra = 0; extra < extendEdges; extra++) {
      const best = bestOf();
      const sorted = all.map((p) => p.lr).sort((a, b) => a - b);
      if (!Number.isFinite(best.score)) break;
      if (best.lr === sorted[sorted.length - 1]) all.push(evaluate(roundLr(best.lr * ratio)));
      else if (best.lr === sorted[0]) all.push(evaluate(roundLr(best.lr / ratio)));
      else break;
    }
  }
  all.sort((a, b) => a.lr - b.lr);
  return { best: bestOf(), all };
}

export interface SurfaceStage {
  readonly surface: Surface;
  /** f* + 10⁻³ (f(start) − f*): "reached the minimum". */
  readonly target: number;
  readonly byEntry: ReadonlyMap<string, Sweep<SurfaceTrace>>;
}

export class RaceContext {
  readonly entries: readonly RaceEntry[];
  readonly charts = new Map<string, string>();
  readonly surfaceStages = new Map<string, SurfaceStage>();
  /** The table task's sweep per entry: the learning rate every MNIST claim starts from. */
  readonly tableSweeps = new Map<string, Sweep<TrainResult>>();
  /** Extra table rows measured elsewhere (SparseAdam on the sparse task). */
  readonly sideRows = new Map<string, { lr: number; stateBytesPerParam: number; finalLoss: number; finalAccuracy: number; msPerStep: number; note: string }>();
  readonly sectionSeconds: Record<string, number> = {};
  private task: MnistTask | null = null;
  private readonly colors = new Map<string, string>();

  constructor(
    readonly budget: BudgetConfig,
    readonly seed: number,
    entries: readonly RaceEntry[],
    readonly progress: Progress,
  ) {
    this.entries = entries;
    // Colours follow the full list, so an optimizer keeps its colour whatever is selected.
    raceEntries().forEach((e, k) => this.colors.set(e.id, paletteColor(k)));
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id);
  }

  entry(id: string): RaceEntry {
    const found = raceEntries().find((e) => e.id === id);
    if (!found) throw new Error(`race: no entry ${id}`);
    return found;
  }

  color(id: string): string {
    return this.colors.get(id) ?? '#333333';
  }

  /** The MNIST task of this budget (loaded once). */
  get mnist(): MnistTask {
    this.task ??= mnistTask(this.budget.mnist);
    return this.task;
  }

  /** Network learning rates tried for an entry: its centre times the budget's factors. */
  networkLrs(entry: RaceEntry): number[] {
    return this.budget.networkLrFactors.map((f) => roundLr(entry.centerLr.network * f));
  }

  surfaceLrs(entry: RaceEntry): number[] {
    return this.budget.surfaceLrFactors.map((f) => roundLr(entry.centerLr.surface * f));
  }

  /** The learning rate the table task chose for `id` (its centre if the table did not run it). */
  tableLr(id: string): number {
    return this.tableSweeps.get(id)?.best.lr ?? this.entry(id).centerLr.network;
  }

  /** Times a stage, for the report's timing table. */
  timed<T>(section: string, work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.sectionSeconds[section] = (this.sectionSeconds[section] ?? 0) + (performance.now() - started) / 1000;
    }
  }
}

/** Three significant digits: 0.1 × 3 prints as 0.3, not 0.30000000000000004. */
export function roundLr(lr: number): number {
  return Number(lr.toPrecision(3));
}

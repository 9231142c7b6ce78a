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

/** Draws a grid: fast cells dark, slow light, never-converged grey; Polyak's point as a ring. */
export function drawGrid(canvas: HTMLCanvasElement, grid: LabGrid, title: string): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const left = 44;
  const bottom = 30;
  const top = 20;
  const size = grid.lrs.length;
  const cw = (width - left - 8) / size;
  const ch = (height - top - bottom) / size;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const finite = grid.steps.filter((s): s is number => s !== null);
  const best = finite.length ? Math.min(...finite) : 1;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const s = grid.steps[row * size + col];
      if (s === undefined) continue;
      if (s === null) ctx.fillStyle = '#d9d9d9';
      else {
        // log scale from the best cell (dark blue) to the cap (pale yellow)
        const t = Math.log(s / best) / Math.log(grid.cap / best || 2);
        ctx.fillStyle = `hsl(${220 - 170 * t}, 70%, ${25 + 60 * t}%)`;
      }
      ctx.fillRect(left + col * cw, top + (size - 1 - row) * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
  const { lr, momentum } = polyakOptimum();
  const lrs = grid.lrs;
  const cx = left + ((Math.log(lr) - Math.log(lrs[0]!)) / (Math.log(lrs[size - 1]!) - Math.log(lrs[0]!))) * (size - 1) * cw + cw / 2;
  const cy = top + (1 - momentum / grid.momenta[size - 1]!) * (size - 1) * ch + ch / 2;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(cx, cy, 7, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.strokeStyle = '#000';
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.fillStyle = '#111';
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(title, left, 14);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(`lr ${lrs[0]!.toPrecision(1)} → ${lrs[size - 1]!.toPrecision(2)} (log)`, left, height - 10);
  ctx.save();
  ctx.translate(14, height - bottom);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(`μ 0 → ${grid.momenta[size - 1]}`, 0, 0);
  ctx.restore();
  const summary = `fastest ${best} steps; grey: not within ${grid.cap}`;
  ctx.fillText(summary, width - 8 - ctx.measureText(summary).width, height - 10);
}

/**
 * The surface as a filled contour on a canvas, with the contestants' paths, divergence marks,
 * the minima, and the explained step's vectors on top. The contour is computed once per surface
 * into an offscreen canvas; paths redraw every frame.
 */
import type { Surface } from './library.js';
import type { Explanation } from './explain.js';
import type { Trajectory } from './simulation.js';

const BANDS = 18;

/** Light warm greys, low to high: quiet under the coloured paths, the bands still readable. */
function bandColour(level: number): string {
  const t = level / (BANDS - 1);
  const r = Math.round(252 - 112 * t);
  const g = Math.round(250 - 112 * t);
  const b = Math.round(244 - 104 * t);
  return `rgb(${r},${g},${b})`;
}

export interface Transform {
  toCanvas(x: number, y: number): [number, number];
  toSurface(px: number, py: number): [number, number];
}

export function transformFor(surface: Surface, width: number, height: number): Transform {
  const { x, y } = surface.domain;
  return {
    toCanvas: (sx, sy) => [((sx - x.min) / (x.max - x.min)) * width, (1 - (sy - y.min) / (y.max - y.min)) * height],
    toSurface: (px, py) => [x.min + (px / width) * (x.max - x.min), y.min + (1 - py / height) * (y.max - y.min)],
  };
}

/**
 * The band of each grid cell: levels evenly spaced in f, or in log(f − min + δ) where the range
 * is wide (Rosenbrock's valley would otherwise be one band).
 */
function contourImage(surface: Surface, width: number, height: number): HTMLCanvasElement {
  const cell = 2;
  const cols = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const values = new Float64Array(cols * rows);
  const t = transformFor(surface, width, height);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [x, y] = t.toSurface((c + 0.5) * cell, (r + 0.5) * cell);
      const v = surface.value(x, y);
      values[r * cols + c] = v;
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const span = hi - lo;
  const delta = span * 1e-5 + 1e-12;
  // Wide range: most of the domain sits in the lowest tenth of f's span (a valley under walls).
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  const median = sorted[sorted.length >> 1] ?? lo;
  const logScale = median - lo < 0.1 * span;
  const scale = (v: number): number => (logScale ? Math.log(v - lo + delta) : v);
  const sLo = scale(lo);
  const sHi = scale(hi);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const level = Number.isFinite(v) ? Math.min(BANDS - 1, Math.floor(((scale(v) - sLo) / (sHi - sLo || 1)) * BANDS)) : BANDS - 1;
      ctx.fillStyle = bandColour(level);
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }
  }
  return canvas;
}

export interface SurfaceScene {
  surface: Surface;
  trajectories: readonly Trajectory[];
  start: readonly [number, number];
  explanation: { colour: string; explanation: Explanation } | null;
  /** RAdam steps without rectification, drawn as hollow rings on its path. */
  unrectified: ReadonlyMap<Trajectory, readonly number[]>;
}

export class SurfaceView {
  private background: HTMLCanvasElement | null = null;
  private backgroundFor: string | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {}

  transform(surface: Surface): Transform {
    return transformFor(surface, this.canvas.width, this.canvas.height);
  }

  draw(scene: SurfaceScene): void {
    const { canvas } = this;
    const ctx = canvas.getContext('2d')!;
    const key = `${scene.surface.name}:${canvas.width}x${canvas.height}`;
    if (this.backgroundFor !== key) {
      this.background = contourImage(scene.surface, canvas.width, canvas.height);
      this.backgroundFor = key;
    }
    ctx.drawImage(this.background!, 0, 0);
    const t = this.transform(scene.surface);

    for (const minimum of scene.surface.minima) {
      const [px, py] = t.toCanvas(minimum.point[0], minimum.point[1]);
      star(ctx, px, py, 7, minimum.global ? '#000' : '#555');
    }
    for (const trajectory of scene.trajectories) this.drawPath(ctx, t, trajectory, scene.unrectified.get(trajectory) ?? []);

    const [sx, sy] = t.toCanvas(scene.start[0], scene.start[1]);
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();

    if (scene.explanation) this.drawExplanation(ctx, t, scene.explanation.explanation, scene.explanation.colour);
  }

  private drawPath(ctx: CanvasRenderingContext2D, t: Transform, trajectory: Trajectory, unrectified: readonly number[]): void {
    const colour = trajectory.contestant.colour;
    ctx.beginPath();
    const [x0, y0] = t.toCanvas(trajectory.settings.start[0], trajectory.settings.start[1]);
    ctx.moveTo(x0, y0);
    let last: [number, number] = [x0, y0];
    for (const record of trajectory.records) {
      if (!Number.isFinite(record.to[0]) || !Number.isFinite(record.to[1])) break;
      last = t.toCanvas(record.to[0], record.to[1]);
      ctx.lineTo(last[0], last[1]);
    }
    // A dark halo under the colour keeps light colours visible on the light bands.
    ctx.lineJoin = 'round';
    ctx.strokeStyle = 'rgba(0,0,0,0.55)';
    ctx.lineWidth = 4.5;
    ctx.stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2.5;
    ctx.setLineDash(trajectory.contestant.dash);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colour;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(last[0], last[1], 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    for (const step of unrectified) {
      const record = trajectory.records[step - 1];
      if (!record) continue;
      const [px, py] = t.toCanvas(record.to[0], record.to[1]);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(px, py, 4, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const slow = trajectory.records.at(-1)?.slow;
    if (slow) {
      const [px, py] = t.toCanvas(slow[0], slow[1]);
      ctx.fillStyle = '#fff';
      ctx.strokeStyle = colour;
      ctx.lineWidth = 3;
      ctx.fillRect(px - 5, py - 5, 10, 10);
      ctx.strokeRect(px - 5, py - 5, 10, 10);
    }
    if (trajectory.stopped !== null) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 3;
      cross(ctx, Math.min(Math.max(last[0], 8), ctx.canvas.width - 8), Math.min(Math.max(last[1], 8), ctx.canvas.height - 8), 8);
    }
  }

  private drawExplanation(ctx: CanvasRenderingContext2D, t: Transform, e: Explanation, colour: string): void {
    const start = e.from;
    const [px, py] = t.toCanvas(start[0], start[1]);
    // Directions (gradient, momentum) are drawn at a fixed length; the step at its true length.
    const unit = 0.12 * Math.min(ctx.canvas.width, ctx.canvas.height);
    const direction = (v: readonly [number, number]): [number, number] => {
      const [ax, ay] = t.toCanvas(start[0] + v[0], start[1] + v[1]);
      const dx = ax - px;
      const dy = ay - py;
      const n = Math.hypot(dx, dy) || 1;
      return [px + (unit * dx) / n, py + (unit * dy) / n];
    };
    // Neutral inks told apart by their dashes, so no vector takes an optimizer's colour.
    arrow(ctx, px, py, ...direction([-e.vectors.gradient[0], -e.vectors.gradient[1]]), '#5c5c5c', [7, 4]);
    if (e.vectors.momentum) arrow(ctx, px, py, ...direction([-e.vectors.momentum[0], -e.vectors.momentum[1]]), '#1a1a1a', [2, 3]);
    const [ex, ey] = t.toCanvas(start[0] + e.vectors.step[0], start[1] + e.vectors.step[1]);
    arrow(ctx, px, py, ex, ey, '#000', []);
    if (e.ghost) {
      const [gx, gy] = t.toCanvas(e.ghost[0], e.ghost[1]);
      ctx.globalAlpha = 0.45;
      ctx.fillStyle = colour;
      ctx.beginPath();
      ctx.arc(gx, gy, 7, 0, 2 * Math.PI);
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.setLineDash([3, 3]);
      ctx.strokeStyle = '#333';
      ctx.beginPath();
      ctx.moveTo(px, py);
      ctx.lineTo(gx, gy);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }
}

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, colour: string, dash: number[]): void {
  const angle = Math.atan2(y1 - y0, x1 - x0);
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = 2.5;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 10 * Math.cos(angle - 0.4), y1 - 10 * Math.sin(angle - 0.4));
  ctx.lineTo(x1 - 10 * Math.cos(angle + 0.4), y1 - 10 * Math.sin(angle + 0.4));
  ctx.closePath();
  ctx.fill();
}

function star(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, colour: string): void {
  ctx.fillStyle = colour;
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const radius = k % 2 === 0 ? r : r / 2.4;
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    ctx.lineTo(x + radius * Math.cos(angle), y + radius * Math.sin(angle));
  }
  ctx.closePath();
  ctx.fill();
}

function cross(ctx: CanvasRenderingContext2D, x: number, y: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x - r, y - r);
  ctx.lineTo(x + r, y + r);
  ctx.moveTo(x + r, y - r);
  ctx.lineTo(x - r, y + r);
  ctx.stroke();
}

/**
 * The momentum lab's picture: one (lr, μ) grid as coloured cells, Polyak's tuning as a ring.
 */
import { polyakOptimum, type LabGrid } from './lab.js';

/** Draws a grid: fast cells dark, slow light, never-converged grey; Polyak's point as a ring. */
export function drawGrid(canvas: HTMLCanvasElement, grid: LabGrid): void {
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
  const { lr, momentum } = polyakOptimum(grid.condition);
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
  ctx.fillText(grid.title, left, 14);
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

/**
 * Small line charts on a canvas: one series per contestant, x = step, y linear or log10.
 * A series that stopped (diverged) ends in a cross.
 */
export interface Series {
  readonly label: string;
  readonly colour: string;
  /** The race's dash for this series (empty: solid). */
  readonly dash?: readonly number[];
  /** y at x = 0, 1, 2, … (NaN gaps are skipped). */
  readonly values: ArrayLike<number>;
  readonly stopped?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly log: boolean;
  /** Fixed y range (e.g. accuracy in [0, 1]); else from the data. */
  readonly yRange?: readonly [number, number];
  readonly xLabel?: string;
}

const MARGIN = { left: 48, right: 10, top: 22, bottom: 24 };

export function drawChart(canvas: HTMLCanvasElement, series: readonly Series[], options: ChartOptions): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111';
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(options.title, MARGIN.left, 15);

  const transform = (v: number): number => (options.log ? Math.log10(Math.max(v, 1e-300)) : v);
  let xMax = 1;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    xMax = Math.max(xMax, s.values.length - 1);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v) || (options.log && v <= 0)) continue;
      lo = Math.min(lo, transform(v));
      hi = Math.max(hi, transform(v));
    }
  }
  if (options.yRange) [lo, hi] = [transform(options.yRange[0]), transform(options.yRange[1])];
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  if (options.log) [lo, hi] = [Math.floor(lo), Math.ceil(hi)];

  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number): number => MARGIN.left + (x / xMax) * plotW;
  const py = (y: number): number => MARGIN.top + (1 - (transform(y) - lo) / (hi - lo)) * plotH;

  ctx.strokeStyle = '#ccc';
  ctx.lineWidth = 1;
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  const ticks = options.log ? Math.min(6, hi - lo) : 4;
  for (let k = 0; k <= ticks; k++) {
    const value = lo + ((hi - lo) * k) / ticks;
    const y = MARGIN.top + (1 - k / ticks) * plotH;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, y);
    ctx.lineTo(width - MARGIN.right, y);
    ctx.stroke();
    const label = options.log ? `1e${Math.round(value)}` : Math.abs(value) < 1e-3 && value !== 0 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
    ctx.fillText(label, 4, y + 4);
  }
  ctx.fillText('0', MARGIN.left, height - 8);
  const xText = `${xMax} ${options.xLabel ?? 'steps'}`;
  ctx.fillText(xText, width - MARGIN.right - ctx.measureText(xText).width, height - 8);

  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let drawing = false;
    let last: [number, number] | null = null;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v) || (options.log && v <= 0)) {
        drawing = false;
        continue;
      }
      const point: [number, number] = [px(i), Math.min(Math.max(py(v), MARGIN.top), MARGIN.top + plotH)];
      if (drawing) ctx.lineTo(...point);
      else ctx.moveTo(...point);
      drawing = true;
      last = point;
    }
    ctx.setLineDash(s.dash ?? []);
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.stopped && last) {
      ctx.strokeStyle = '#000';
      ctx.beginPath();
      ctx.moveTo(last[0] - 5, last[1] - 5);
      ctx.lineTo(last[0] + 5, last[1] + 5);
      ctx.moveTo(last[0] + 5, last[1] - 5);
      ctx.lineTo(last[0] - 5, last[1] + 5);
      ctx.stroke();
    }
  }
}

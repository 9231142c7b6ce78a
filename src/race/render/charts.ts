/**
 * The report's three kinds of chart, each a function from data to an SVG string:
 * trajectories over a surface's contour map, line charts (loss curves, effective learning
 * rates) and grouped bar charts (per-layer gradient norms).
 */
import type { Surface } from '../../surfaces/index.js';
import { sampleGrid, logLevels, contourLines } from './contour.js';
import { escapeXml, px, shortNumber, linearScale, logScale, rampColor, svgDocument, thin, type Scale } from './svg.js';

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

const LEGEND_ROW = 15;
/** Average advance of a 13 px bold title glyph. */
const TITLE_CHAR_WIDTH = 7.4;
const TITLE_LINE = 17;

/** The title broken into lines that fit `width` pixels, at most three. */
function titleLines(title: string, width: number): string[] {
  const perLine = Math.max(20, Math.floor(width / TITLE_CHAR_WIDTH));
  const lines: string[] = [];
  let line = '';
  for (const word of title.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > perLine) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.length <= 3 ? lines : [...lines.slice(0, 2), `${lines.slice(2).join(' ').slice(0, perLine - 1)}…`];
}

function titleText(lines: readonly string[], x: number): string {
  return lines.map((line, k) => `<text x="${x}" y="${18 + k * TITLE_LINE}" font-size="13" font-weight="600">${escapeXml(line)}</text>`).join('\n');
}

/**
 * The upper end of a y axis that leaves out rare spikes: when fewer than 2 % of the values
 * lie more than a decade (log axis) or 3 interquartile ranges (linear axis) above the 98th
 * percentile, the axis stops there and the chart notes how many points it clipped.
 */
export function clippedTop(values: readonly number[], log: boolean): { top: number; clipped: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1]!;
  if (sorted.length < 20) return { top: max, clipped: 0 };
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
  const p98 = at(0.98);
  const limit = log ? p98 * 10 : p98 + 3 * Math.max(at(0.75) - at(0.25), 1e-12);
  if (max <= limit) return { top: max, clipped: 0 };
  const top = log ? p98 * 3 : p98 + (limit - p98) / 3;
  return { top, clipped: sorted.filter((v) => v > top).length };
}
/** Average advance of an 11 px sans-serif glyph, generous so that long names are never clipped. */
const CHAR_WIDTH = 6.6;

/** Width the legend needs: the swatch, then the longest name (at least the old fixed 170 px). */
function legendWidth(names: ReadonlyArray<{ name: string }>): number {
  const longest = Math.max(0, ...names.map((n) => n.name.length));
  return Math.max(170, Math.ceil(24 + longest * CHAR_WIDTH + 8));
}

function legend(entries: ReadonlyArray<{ name: string; color: string; dashed?: boolean }>, x: number, y: number): string {
  return entries
    .map((entry, k) => {
      const rowY = y + k * LEGEND_ROW;
      const dash = entry.dashed ? ' stroke-dasharray="4 2"' : '';
      return `<line x1="${x}" y1="${rowY}" x2="${x + 18}" y2="${rowY}" stroke="${entry.color}" stroke-width="2.5"${dash}/><text x="${x + 24}" y="${rowY + 4}">${escapeXml(entry.name)}</text>`;
    })
    .join('\n');
}

function axes(box: Box, xScale: Scale, yScale: Scale, xLabel: string, yLabel: string): string {
  const bottom = box.top + box.height;
  const parts = [`<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="none" stroke="#444"/>`];
  for (const t of xScale.ticks) {
    const x = px(xScale(t));
    parts.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#444"/><text x="${x}" y="${bottom + 15}" text-anchor="middle">${shortNumber(t)}</text>`);
  }
  for (const t of yScale.ticks) {
    const y = px(yScale(t));
    parts.push(`<line x1="${box.left - 4}" y1="${y}" x2="${box.left}" y2="${y}" stroke="#444"/><text x="${box.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${shortNumber(t)}</text>`);
    parts.push(`<line x1="${box.left}" y1="${y}" x2="${box.left + box.width}" y2="${y}" stroke="#000" stroke-opacity="0.07"/>`);
  }
  parts.push(`<text x="${box.left + box.width / 2}" y="${bottom + 32}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  parts.push(`<text transform="translate(${box.left - 46} ${box.top + box.height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  return parts.join('\n');
}

function polyline(points: ReadonlyArray<readonly [number, number]>, xScale: Scale, yScale: Scale, yTop = Number.POSITIVE_INFINITY): string {
  // A non-finite or off-scale value (a diverged run; a zero on a log axis) breaks the line; a
  // clipped spike is drawn to the top of the axis.
  const commands: string[] = [];
  let pen = false;
  for (const [x, rawY] of points) {
    const y = Math.min(rawY, yTop);
    const drawable = Number.isFinite(x) && Number.isFinite(y) && (!yScale.log || y > 0) && (!xScale.log || x > 0);
    if (!drawable) {
      pen = false;
      continue;
    }
    commands.push(`${pen ? 'L' : 'M'}${px(xScale(x))} ${px(yScale(y))}`);
    pen = true;
  }
  return commands.join('');
}

/**
 * A clip-path id derived from the chart's title: charts inlined in one HTML page must not
 * share ids, and the same data must give the same SVG text on every run.
 */
function clipId(title: string): string {
  let hash = 2166136261;
  for (let i = 0; i < title.length; i++) hash = Math.imul(hash ^ title.charCodeAt(i), 16777619);
  return `clip-${(hash >>> 0).toString(36)}`;
}

export interface TrajectoryPlotOptions {
  readonly surface: Surface;
  readonly trajectories: readonly Series[];
  readonly title?: string;
  /** Grid samples per axis for the contour map. */
  readonly resolution?: number;
  readonly levels?: number;
}

/** Trajectories drawn over the surface's contour map, levels log-spaced. */
export function trajectoryPlot({ surface, trajectories, title = surface.title, resolution = 120, levels = 18 }: TrajectoryPlotOptions): string {
  const { x, y } = surface.domain;
  const aspect = (y.max - y.min) / (x.max - x.min);
  const plotWidth = 420;
  const plotHeight = Math.round(Math.min(Math.max(plotWidth * aspect, 240), 420));
  const lines_ = titleLines(title, 56 + plotWidth + 20 + legendWidth(trajectories) - 70);
  const box: Box = { left: 56, top: 16 + TITLE_LINE * lines_.length, width: plotWidth, height: plotHeight };
  const width = box.left + box.width + 20 + legendWidth(trajectories);
  const height = Math.max(box.top + box.height + 46, box.top + (trajectories.length + 3) * LEGEND_ROW + 20);
  const xScale = linearScale(x.min, x.max, box.left, box.left + box.width);
  const yScale = linearScale(y.min, y.max, box.top + box.height, box.top);
  const clip = clipId(`trajectories ${surface.name} ${title}`);

  const grid = sampleGrid((a, b) => surface.value(a, b), x, y, resolution, Math.max(40, Math.round(resolution * aspect)));
  const levelValues = logLevels(grid, levels);
  const contours = levelValues.map((level, k) => {
    const d = contourLines(grid, level)
      .map((line) => {
        let path = '';
        for (let p = 0; p < line.length; p += 2) path += `${p === 0 ? 'M' : 'L'}${px(xScale(line[p]!))} ${px(yScale(line[p + 1]!))}`;
        return path;
      })
      .join('');
    return d ? `<path d="${d}" fill="none" stroke="${rampColor(k / Math.max(1, levelValues.length - 1))}" stroke-width="1"/>` : '';
  });

  const markers = [
    ...surface.minima.map((m) => `<path d="M${px(xScale(m.point[0]))} ${px(yScale(m.point[1]) - 6)}l1.8 4.2 4.4.3-3.4 2.9 1.1 4.4-3.9-2.4-3.9 2.4 1.1-4.4-3.4-2.9 4.4-.3z" fill="${m.global ? '#f5c518' : '#ffffff'}" stroke="#333"><title>${m.global ? 'global' : 'local'} minimum (${shortNumber(m.point[0])}, ${shortNumber(m.point[1])}), f = ${shortNumber(m.value)}</title></path>`),
    ...surface.saddles.map((s) => `<path d="M${px(xScale(s[0]) - 4)} ${px(yScale(s[1]) - 4)}l8 8m0-8l-8 8" stroke="#333" stroke-width="1.5"><title>saddle (${shortNumber(s[0])}, ${shortNumber(s[1])})</title></path>`),
  ];

  const paths = trajectories.map((t) => {
    const points = thin(t.points, 600);
    const last = points[points.length - 1];
    const end = last && Number.isFinite(last[0]) && Number.isFinite(last[1]) ? `<circle cx="${px(xScale(last[0]))}" cy="${px(yScale(last[1]))}" r="3" fill="${t.color}" stroke="#fff" stroke-width="0.8"/>` : '';
    return `<g><title>${escapeXml(t.name)}</title><path d="${polyline(points, xScale, yScale)}" fill="none" stroke="${t.color}" stroke-width="1.6" stroke-opacity="0.9" stroke-linejoin="round"${t.dashed ? ' stroke-dasharray="4 2"' : ''}/>${end}</g>`;
  });
  const start = surface.start;
  const startMarker = `<circle cx="${px(xScale(start[0]))}" cy="${px(yScale(start[1]))}" r="4" fill="none" stroke="#000" stroke-width="1.5"><title>start (${start.join(', ')})</title></circle>`;

  const body = [
    `<defs><clipPath id="${clip}"><rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}"/></clipPath></defs>`,
    titleText(lines_, box.left),
    `<g clip-path="url(#${clip})">`,
    ...contours,
    ...markers,
    ...paths,
    startMarker,
    '</g>',
    axes(box, xScale, yScale, 'x', 'y'),
    legend(trajectories, box.left + box.width + 20, box.top + 6),
    `<text x="${box.left + box.width + 20}" y="${box.top + (trajectories.length + 1) * LEGEND_ROW + 6}" fill="#555">○ start  ★ minimum  × saddle</text>`,
  ].join('\n');
  return svgDocument(width, height, title, body);
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logY?: boolean;
  readonly logX?: boolean;
}

export function lineChart({ title, xLabel, yLabel, series, logY = false, logX = false }: LineChartOptions): string {
  const plotWidth = 440;
  const legend_ = legendWidth(series);
  const lines_ = titleLines(title, 64 + plotWidth + 20 + legend_ - 70);
  const box: Box = { left: 64, top: 16 + TITLE_LINE * lines_.length, width: plotWidth, height: 260 };
  const width = box.left + box.width + 20 + legend_;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && (!logX || x > 0)) xs.push(x);
      if (Number.isFinite(y) && (!logY || y > 0)) ys.push(y);
    }
  }
  const { top, clipped } = ys.length === 0 ? { top: logY ? 10 : 1, clipped: 0 } : clippedTop(ys, logY);
  const note = clipped > 0 ? `${clipped} point${clipped > 1 ? 's' : ''} above ${shortNumber(top)} drawn at the top edge` : '';
  const height = Math.max(box.top + box.height + 46 + (note ? 14 : 0), box.top + series.length * LEGEND_ROW + 20);
  const range = (values: number[], fallback: [number, number]): [number, number] => (values.length === 0 ? fallback : [Math.min(...values), Math.max(...values)]);
  const [x0, x1] = range(xs, [logX ? 1 : 0, logX ? 10 : 1]);
  const [y0] = range(ys, [logY ? 1 : 0, logY ? 10 : 1]);
  const y1 = top;
  const xScale = logX ? logScale(x0, x1, box.left, box.left + box.width) : linearScale(x0, x1, box.left, box.left + box.width);
  const yScale = logY ? logScale(y0, y1, box.top + box.height, box.top) : linearScale(y0 >= 0 && y0 < (y1 - y0) * 0.2 ? 0 : y0, y1, box.top + box.height, box.top);
  const clip = clipId(`line ${title}`);
  const lines = series.map(
    (s) => `<path d="${polyline(thin(s.points, 800), xScale, yScale, top)}" fill="none" stroke="${s.color}" stroke-width="1.6" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${escapeXml(s.name)}</title></path>`,
  );
  const body = [
    `<defs><clipPath id="${clip}"><rect x="${box.left}" y="${box.top - 2}" width="${box.width}" height="${box.height + 4}"/></clipPath></defs>`,
    titleText(lines_, box.left),
    axes(box, xScale, yScale, xLabel, yLabel),
    `<g clip-path="url(#${clip})">`,
    ...lines,
    '</g>',
    legend(series, box.left + box.width + 20, box.top + 6),
    note ? `<text x="${box.left}" y="${box.top + box.height + 46}" fill="#555">${escapeXml(note)}</text>` : '',
  ].join('\n');
  return svgDocument(width, height, title, body);
}

export interface BarChartOptions {
  readonly title: string;
  readonly categories: readonly string[];
  readonly yLabel: string;
  readonly series: ReadonlyArray<{ readonly name: string; readonly color: string; readonly values: readonly number[] }>;
  readonly logY?: boolean;
}

/** Grouped bars: one group per category, one bar per series; crowded labels turn 45°. */
export function barChart({ title, categories, yLabel, series, logY = false }: BarChartOptions): string {
  const plotWidth = Math.min(560, Math.max(320, categories.length * (series.length * 10 + 10)));
  const legend_ = legendWidth(series);
  const lines_ = titleLines(title, 64 + plotWidth + 20 + legend_ - 70);
  const groupWidth = plotWidth / Math.max(1, categories.length);
  const longest = Math.max(0, ...categories.map((c) => c.length));
  const rotate = longest * CHAR_WIDTH > groupWidth - 4;
  const labelDepth = rotate ? Math.ceil(longest * CHAR_WIDTH * Math.SQRT1_2) + 12 : 18;
  const box: Box = { left: 64, top: 16 + TITLE_LINE * lines_.length, width: plotWidth, height: 240 };
  const width = box.left + box.width + 20 + legend_;
  const height = Math.max(box.top + box.height + labelDepth + 10, box.top + series.length * LEGEND_ROW + 20);
  const values = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!logY || v > 0));
  const lo = values.length ? Math.min(...values) : 1;
  const hi = values.length ? Math.max(...values) : 1;
  const yScale = logY ? logScale(lo / 2, hi * 1.5, box.top + box.height, box.top) : linearScale(0, hi * 1.1, box.top + box.height, box.top);
  const baseline = box.top + box.height;
  const barWidth = Math.min(14, (groupWidth - 4) / series.length);
  const bars: string[] = [];
  categories.forEach((category, c) => {
    const groupLeft = box.left + c * groupWidth + (groupWidth - barWidth * series.length) / 2;
    series.forEach((s, k) => {
      const v = s.values[c]!;
      if (!(Number.isFinite(v) && (!logY || v > 0))) return;
      const top = yScale(v);
      bars.push(`<rect x="${px(groupLeft + k * barWidth)}" y="${px(top)}" width="${px(Math.max(1, barWidth - 1))}" height="${px(Math.max(0, baseline - top))}" fill="${s.color}"><title>${escapeXml(`${s.name}, ${category}: ${shortNumber(v)}`)}</title></rect>`);
    });
    const x = px(box.left + (c + 0.5) * groupWidth);
    bars.push(
      rotate
        ? `<text transform="translate(${x} ${baseline + 10}) rotate(-45)" text-anchor="end">${escapeXml(category)}</text>`
        : `<text x="${x}" y="${baseline + 15}" text-anchor="middle">${escapeXml(category)}</text>`,
    );
  });
  const body = [
    titleText(lines_, box.left),
    `<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="none" stroke="#444"/>`,
    ...yScale.ticks.map((t) => `<line x1="${box.left - 4}" y1="${px(yScale(t))}" x2="${box.left + box.width}" y2="${px(yScale(t))}" stroke="#000" stroke-opacity="0.08"/><text x="${box.left - 6}" y="${px(yScale(t))}" text-anchor="end" dominant-baseline="middle">${shortNumber(t)}</text>`),
    ...bars,
    `<text transform="translate(${box.left - 48} ${box.top + box.height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    legend(series, box.left + box.width + 20, box.top + 6),
  ].join('\n');
  return svgDocument(width, height, title, body);
}

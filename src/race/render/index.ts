/**
 * Rendering a race's results: every figure as SVG, the HTML report, the terminal summary.
 * Pure functions of the results, so a browser page renders exactly what the CLI writes.
 */
import type { FigureData, RaceResults, SeriesData } from '../types.js';
import { drawFigure } from './figures.js';
import { raceEntry } from '../entries.js';
import { getSurface } from '../../surfaces/index.js';

/** The figures the table and the surfaces contribute, as data. */
export function sharedFigures(results: RaceResults): FigureData[] {
  const figures: FigureData[] = [];
  if (results.table) {
    const rows = results.table.rows.filter((r) => r.task === 'mnist' && !r.failed);
    figures.push({
      kind: 'line',
      name: 'table-loss',
      title: `Training loss (EMA, mean of ${results.seeds.length} seeds), each optimizer at its chosen lr`,
      xLabel: 'step',
      yLabel: 'cross-entropy',
      logY: true,
      series: rows.map((r) => ({ label: r.label, color: r.optimizer, points: r.curve.map((v, t) => [t + 1, v] as [number, number]) })),
    });
  }
  for (const surface of results.surfaces?.surfaces ?? []) {
    const series: SeriesData[] = surface.sweeps.map((sweep) => {
      const run = sweep.runs[sweep.best]!;
      const points = Array.from({ length: run.points.length / 2 }, (_, t) => [run.points[2 * t]!, run.points[2 * t + 1]!] as [number, number]);
      return { label: `${raceEntry(sweep.optimizer).label} (lr ${run.lr})`, color: sweep.optimizer, points };
    });
    const { title, formula } = getSurface(surface.surface);
    figures.push({ kind: 'trajectories', name: `surface-${surface.surface}`, title: `${title}: ${formula}`, surface: surface.surface, series });
  }
  return figures;
}

/** Every figure of the results, name → SVG. */
export function renderFigures(results: RaceResults): Map<string, string> {
  const out = new Map<string, string>();
  for (const figure of [...sharedFigures(results), ...results.claims.flatMap((c) => c.figures)]) out.set(figure.name, drawFigure(figure));
  return out;
}

export { renderHtml, htmlTable, adviceHtml } from './html.js';
export { terminalSummary } from './summary.js';
export { drawFigure } from './figures.js';
export { formatTable } from './terminal.js';

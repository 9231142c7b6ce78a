/**
 * Figures from data: a claim's FigureData becomes an SVG string here, at render time, in the
 * palette's fixed style for each series.
 */
import { getSurface } from '../../surfaces/index.js';
import { seriesStyle } from '../palette.js';
import type { FigureData, SeriesData } from '../types.js';
import { barChart, lineChart, trajectoryPlot, type Series } from './charts.js';

function styled(series: readonly SeriesData[]): Series[] {
  return series.map((s) => {
    const style = seriesStyle(s.color);
    return { name: s.label, color: style.color, dashed: s.dashed ?? style.dash !== null, points: s.points };
  });
}

export function drawFigure(figure: FigureData): string {
  switch (figure.kind) {
    case 'line':
      return lineChart({ title: figure.title, xLabel: figure.xLabel, yLabel: figure.yLabel, logX: figure.logX, logY: figure.logY, series: styled(figure.series) });
    case 'bar':
      return barChart({ title: figure.title, yLabel: figure.yLabel, logY: figure.logY, categories: figure.categories, series: figure.series.map((s) => ({ name: s.label, color: seriesStyle(s.color).color, values: s.values })) });
    case 'trajectories':
      return trajectoryPlot({ surface: getSurface(figure.surface), title: figure.title, trajectories: styled(figure.series) });
  }
}

/**
 * Learning-rate sweeps as data: a grid of (lr, score) points, the best of them, and the point
 * one grid step beyond an edge when the best sits there (so that a choice is not an artefact
 * of where the grid happens to end). Trials run the points; these functions only read them.
 */

export interface SweepPoint {
  readonly lr: number;
  /** Lower is better; a diverged or NaN run scores +∞. */
  readonly score: number;
}

/** Three significant digits: 0.1 × 3 prints as 0.3, not 0.30000000000000004. */
export function roundLr(lr: number): number {
  return Number(lr.toPrecision(3));
}

/** The centre times each factor, rounded. */
export function lrGrid(centre: number, factors: readonly number[]): number[] {
  return factors.map((f) => roundLr(centre * f));
}

/** NaN counts as +∞: a run that produced no number is the worst. */
export function finiteScore(score: number): number {
  return Number.isNaN(score) ? Number.POSITIVE_INFINITY : score;
}

/** The point with the lowest score; ties go to the smaller learning rate, the safer choice. Null when every point failed (+∞). */
export function bestPoint<P extends SweepPoint>(points: readonly P[]): P | null {
  let best: P | null = null;
  for (const point of points) {
    if (!Number.isFinite(point.score)) continue;
    if (best === null || point.score < best.score || (point.score === best.score && point.lr < best.lr)) best = point;
  }
  return best;
}

/**
 * The learning rate to try next when the best point is at an edge of the grid: one grid ratio
 * beyond it. Null when the best is inside, every point failed, or `tried` extensions are spent.
 */
export function edgeExtension(points: readonly SweepPoint[], ratio: number, extended: number, maxExtensions: number): number | null {
  if (extended >= maxExtensions || points.length < 2) return null;
  const best = bestPoint(points);
  if (best === null) return null;
  const sorted = points.map((p) => p.lr).sort((a, b) => a - b);
  if (best.lr === sorted[sorted.length - 1]) return roundLr(best.lr * ratio);
  if (best.lr === sorted[0]) return roundLr(best.lr / ratio);
  return null;
}

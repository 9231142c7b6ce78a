/**
 * Contour lines by marching squares: sample f on a grid, and in every cell whose corners
 * straddle a level draw the segment joining the level's crossings of the cell's edges
 * (found by linear interpolation along the edge). Segments that meet at a grid edge are
 * chained into polylines so that a plot is a few paths rather than thousands of segments.
 */

export interface Grid {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** values[j · xs.length + i] = f(xs[i], ys[j]) */
  readonly values: Float64Array;
}

export function sampleGrid(f: (x: number, y: number) => number, x: { min: number; max: number }, y: { min: number; max: number }, nx: number, ny: number): Grid {
  const xs = new Float64Array(nx);
  const ys = new Float64Array(ny);
  for (let i = 0; i < nx; i++) xs[i] = x.min + ((x.max - x.min) * i) / (nx - 1);
  for (let j = 0; j < ny; j++) ys[j] = y.min + ((y.max - y.min) * j) / (ny - 1);
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) values[j * nx + i] = f(xs[i]!, ys[j]!);
  return { xs, ys, values };
}

/**
 * Levels spaced evenly in log(f − min): a surface like Rosenbrock spans six orders of
 * magnitude and evenly spaced levels would all crowd the walls.
 */
export function logLevels(grid: Grid, count: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of grid.values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  if (!(span > 0)) return [];
  // The lowest level sits 10⁻⁴ of the range above the grid minimum (about where a level
  // still draws a visible ring), the highest just below the grid maximum.
  const first = Math.log(span * 1e-4);
  const last = Math.log(span * 0.98);
  return Array.from({ length: count }, (_, k) => lo + Math.exp(first + ((last - first) * k) / (count - 1)));
}

type Segment = [number, number];

// Per corner pattern (bit 0: bottom-left above the level, 1: bottom-right, 2: top-right,
// 3: top-left), the edges each segment joins: 0 bottom, 1 right, 2 top, 3 left.
// The two saddle patterns (5 and 10) are resolved by the cell's centre value below.
const SEGMENTS: ReadonlyArray<readonly Segment[]> = [
  [],
  [[3, 0]],
  [[0, 1]],
  [[3, 1]],
  [[1, 2]],
  [],
  [[0, 2]],
  [[3, 2]],
  [[3, 2]],
  [[0, 2]],
  [],
  [[1, 2]],
  [[3, 1]],
  [[0, 1]],
  [[3, 0]],
  [],
];

/** Polylines of one level, in data coordinates, as flat [x0, y0, x1, y1, …] arrays. */
export function contourLines(grid: Grid, level: number): number[][] {
  const { xs, ys, values } = grid;
  const nx = xs.length;
  const ny = ys.length;
  const verticalBase = nx * ny;
  // Where the level crosses each grid edge, by edge id, and the segments touching that edge.
  const crossing = new Map<number, [number, number]>();
  const links = new Map<number, number[]>();
  const segments: Array<[number, number]> = [];

  const edgeId = (i: number, j: number, edge: number): number => {
    if (edge === 0) return j * nx + i;
    if (edge === 2) return (j + 1) * nx + i;
    if (edge === 3) return verticalBase + j * nx + i;
    return verticalBase + j * nx + i + 1;
  };
  const crossingOn = (i: number, j: number, edge: number): number => {
    const id = edgeId(i, j, edge);
    if (!crossing.has(id)) {
      const [i0, j0, i1, j1] = edge === 0 ? [i, j, i + 1, j] : edge === 2 ? [i, j + 1, i + 1, j + 1] : edge === 3 ? [i, j, i, j + 1] : [i + 1, j, i + 1, j + 1];
      const v0 = values[j0 * nx + i0]!;
      const v1 = values[j1 * nx + i1]!;
      const t = (level - v0) / (v1 - v0);
      crossing.set(id, [xs[i0]! + t * (xs[i1]! - xs[i0]!), ys[j0]! + t * (ys[j1]! - ys[j0]!)]);
    }
    return id;
  };
  const addSegment = (a: number, b: number): void => {
    const index = segments.length;
    segments.push([a, b]);
    for (const end of [a, b]) {
      const list = links.get(end);
      if (list) list.push(index);
      else links.set(end, [index]);
    }
  };

  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const a = values[j * nx + i]!;
      const b = values[j * nx + i + 1]!;
      const c = values[(j + 1) * nx + i + 1]!;
      const d = values[(j + 1) * nx + i]!;
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) continue;
      const pattern = (a > level ? 1 : 0) | (b > level ? 2 : 0) | (c > level ? 4 : 0) | (d > level ? 8 : 0);
      let pairs = SEGMENTS[pattern]!;
      if (pattern === 5 || pattern === 10) {
        const centreAbove = (a + b + c + d) / 4 > level;
        // Pattern 5 (bottom-left and top-right above): a high centre joins them, cutting off
        // the two low corners; pattern 10 is its mirror image.
        const cutLowCorners = pattern === 5 ? centreAbove : !centreAbove;
        pairs = cutLowCorners ? [[0, 1], [3, 2]] : [[3, 0], [1, 2]];
      }
      for (const [from, to] of pairs) addSegment(crossingOn(i, j, from), crossingOn(i, j, to));
    }
  }

  // Chain segments through shared edge crossings into polylines.
  const used = new Uint8Array(segments.length);
  const lines: number[][] = [];
  const extend = (chain: number[], end: number): void => {
    let current = end;
    for (;;) {
      const next = links.get(current)?.find((s) => !used[s]);
      if (next === undefined) return;
      used[next] = 1;
      const [p, q] = segments[next]!;
      current = p === current ? q : p;
      chain.push(current);
    }
  };
  for (let s = 0; s < segments.length; s++) {
    if (used[s]) continue;
    used[s] = 1;
    const [p, q] = segments[s]!;
    const forward = [q];
    extend(forward, q);
    const backward: number[] = [];
    extend(backward, p);
    const ids = [...backward.reverse(), p, ...forward];
    lines.push(ids.flatMap((id) => crossing.get(id)!));
  }
  return lines;
}

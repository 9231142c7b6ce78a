/**
 * A 2-D test function for optimizers: value and gradient in plain numbers (the race and
 * the playground call them millions of times), the same function built from tensor ops
 * (so autograd can check the hand-written gradient), a plot domain, the known minima and
 * saddles, and a start that shows the surface's character.
 */
import type { Tensor } from '../tensor/tensor.js';
import { unary } from '../tensor/elementwise.js';

export type Point = readonly [number, number];

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface Domain {
  readonly x: Range;
  readonly y: Range;
}

export interface KnownMinimum {
  readonly point: Point;
  readonly value: number;
  /** Whether no other point of the surface is lower. */
  readonly global: boolean;
}

/** Where `gradient` writes; a reused pair avoids an allocation per call. */
export type GradientOut = [number, number] | Float64Array | Float32Array;

export interface Surface {
  /** The identifier the CLI and the race use (`rosenbrock`). */
  readonly name: string;
  readonly title: string;
  /** The formula in Unicode maths. */
  readonly formula: string;
  /** What the surface shows about optimizers. */
  readonly about: string;
  readonly domain: Domain;
  readonly start: Point;
  readonly minima: readonly KnownMinimum[];
  readonly saddles: readonly Point[];
  /**
   * True where the function is unbounded below: a trajectory is projected back into the
   * domain after every step, so that "lowest point" still means something.
   */
  readonly clampToDomain: boolean;
  value(x: number, y: number): number;
  /** Writes ∂f/∂x, ∂f/∂y into `out` (a fresh pair when omitted) and returns it. */
  gradient(x: number, y: number, out?: GradientOut): GradientOut;
  /** f at `point` (shape [2]) as a 0-d tensor, built from differentiable ops. */
  tensorValue(point: Tensor): Tensor;
}

/** The definition a surface is built from; `defineSurface` checks it and fills in `minima`. */
export interface SurfaceDefinition {
  readonly name: string;
  readonly title: string;
  readonly formula: string;
  readonly about: string;
  readonly domain: Domain;
  readonly start: Point;
  /** Exact minima, or approximate ones that `refine` polishes with Newton steps. */
  readonly minima: ReadonlyArray<{ readonly point: Point; readonly global: boolean }>;
  readonly saddles?: readonly Point[];
  readonly clampToDomain?: boolean;
  /** Polish the listed minima and saddles with Newton's method (for points with no closed form). */
  readonly refine?: boolean;
  value(x: number, y: number): number;
  gradient(x: number, y: number, out: GradientOut): GradientOut;
  tensorValue(point: Tensor): Tensor;
}

export function defineSurface(definition: SurfaceDefinition): Surface {
  const { name, domain, start } = definition;
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`surface name ${JSON.stringify(name)} must be lower-case words joined by '-'`);
  if (!(domain.x.min < domain.x.max && domain.y.min < domain.y.max)) throw new RangeError(`surface ${name}: empty domain`);
  if (!inside(domain, start)) throw new RangeError(`surface ${name}: start (${start.join(', ')}) lies outside its domain`);
  const gradient = (x: number, y: number, out: GradientOut = [0, 0]): GradientOut => definition.gradient(x, y, out);
  const minima = definition.minima.map(({ point, global }) => {
    const polished = definition.refine ? newtonStationary(point, gradient, 'minimum') : point;
    return { point: polished, value: definition.value(polished[0], polished[1]), global };
  });
  const saddles = (definition.saddles ?? []).map((point) => (definition.refine ? newtonStationary(point, gradient, 'saddle') : point));
  return {
    name,
    title: definition.title,
    formula: definition.formula,
    about: definition.about,
    domain,
    start,
    minima,
    saddles,
    clampToDomain: definition.clampToDomain ?? false,
    value: definition.value,
    gradient,
    tensorValue: definition.tensorValue,
  };
}

export function inside(domain: Domain, [x, y]: Point): boolean {
  return x >= domain.x.min && x <= domain.x.max && y >= domain.y.min && y <= domain.y.max;
}

/** The point of the domain nearest to (x, y). */
export function clampPoint(domain: Domain, x: number, y: number): [number, number] {
  return [Math.min(Math.max(x, domain.x.min), domain.x.max), Math.min(Math.max(y, domain.y.min), domain.y.max)];
}

/** The known minimum nearest to a point, with its distance. */
export function nearestMinimum(surface: Surface, [x, y]: Point): { minimum: KnownMinimum; distance: number } | null {
  let best: { minimum: KnownMinimum; distance: number } | null = null;
  for (const minimum of surface.minima) {
    const distance = Math.hypot(x - minimum.point[0], y - minimum.point[1]);
    if (best === null || distance < best.distance) best = { minimum, distance };
  }
  return best;
}

/**
 * Newton's method on ∇f = 0, the Hessian taken by central differences of the analytic
 * gradient. Used once per surface at load time for stationary points without a closed
 * form; the Hessian's signs confirm that the point is of the kind listed.
 */
function newtonStationary(start: Point, gradient: (x: number, y: number, out?: GradientOut) => GradientOut, kind: 'minimum' | 'saddle'): Point {
  let [x, y] = start;
  const h = 1e-5;
  const gp: [number, number] = [0, 0];
  const gm: [number, number] = [0, 0];
  const g: [number, number] = [0, 0];
  for (let iteration = 0; iteration < 50; iteration++) {
    gradient(x, y, g);
    if (Math.hypot(g[0], g[1]) < 1e-13) break;
    gradient(x + h, y, gp);
    gradient(x - h, y, gm);
    const hxx = (gp[0] - gm[0]) / (2 * h);
    const hxy = (gp[1] - gm[1]) / (2 * h);
    gradient(x, y + h, gp);
    gradient(x, y - h, gm);
    const hyy = (gp[1] - gm[1]) / (2 * h);
    const det = hxx * hyy - hxy * hxy;
    const shapeMatches = kind === 'minimum' ? det > 0 && hxx > 0 : det < 0;
    if (!shapeMatches) throw new Error(`surface: the Hessian at (${x}, ${y}) does not have the signs of a ${kind}; the listed point is not near one`);
    x -= (hyy * g[0] - hxy * g[1]) / det;
    y -= (hxx * g[1] - hxy * g[0]) / det;
  }
  return [x, y];
}

/** cos as a differentiable primitive (the tensor engine has none; Rastrigin needs it). */
export function cosTensor(t: Tensor): Tensor {
  return unary(t, 'cos', Math.cos, (g, x) => -g * Math.sin(x));
}

/** The two coordinates of a [2]-shaped point tensor, still connected to the graph. */
export function coordinates(point: Tensor): [Tensor, Tensor] {
  if (point.shape.length !== 1 || point.shape[0] !== 2) throw new RangeError(`tensorValue: expected a point of shape [2], got [${point.shape.join(', ')}]`);
  return [point.select(0, 0), point.select(0, 1)];
}

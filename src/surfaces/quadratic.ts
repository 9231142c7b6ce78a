/**
 * Quadratic bowls of any condition number κ, axis-aligned or turned: the problem on which
 * momentum's √κ speed-up and diagonal preconditioning are explained (Polyak 1964; Goh,
 * "Why Momentum Really Works", 2017).
 *
 * f(x, y) = ½ (u² + κ v²) with (u, v) = Rᵀ(x, y): curvature 1 along the direction at angle θ
 * and κ across it, so the Hessian is A = R diag(1, κ) Rᵀ,
 *   a_xx = cos²θ + κ sin²θ,  a_yy = sin²θ + κ cos²θ,  a_xy = (1 − κ) sin θ cos θ.
 * At θ = 0 the curvatures sit on the axes, where a per-coordinate step can undo them; at 45°
 * both coordinates see the same diagonal (1 + κ)/2, so no per-coordinate scaling helps.
 */
import { defineSurface, coordinates, type Domain, type Point, type Surface } from './surface.js';

export interface QuadraticBowlOptions {
  /** κ, the ratio of the steep curvature to the flat one (the flat curvature is 1); ≥ 1. */
  readonly condition: number;
  /** θ, the angle of the flat direction from the x axis, in degrees (default 0). */
  readonly angleDegrees?: number;
  /** Default: far along the flat direction and a little across the steep one, where GD zig-zags. */
  readonly start?: Point;
  /** What the surface is called and shows; by default derived from κ and θ. */
  readonly name?: string;
  readonly title?: string;
  readonly formula?: string;
  readonly about?: string;
  /** Default: a square around the minimum that holds the start. */
  readonly domain?: Domain;
}

/** The Hessian entries of ½ (u² + κ v²) turned by θ. */
export function quadraticHessian(condition: number, angleDegrees: number): { xx: number; yy: number; xy: number } {
  const theta = (angleDegrees * Math.PI) / 180;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return { xx: c * c + condition * s * s, yy: s * s + condition * c * c, xy: (1 - condition) * s * c };
}

export function quadraticBowl({ condition, angleDegrees = 0, start, ...shown }: QuadraticBowlOptions): Surface {
  if (!(Number.isFinite(condition) && condition >= 1)) throw new RangeError(`quadraticBowl: condition must be a finite number ≥ 1, got ${condition}`);
  if (!Number.isFinite(angleDegrees)) throw new RangeError(`quadraticBowl: angleDegrees must be finite, got ${angleDegrees}`);
  const { xx, yy, xy } = quadraticHessian(condition, angleDegrees);
  const theta = (angleDegrees * Math.PI) / 180;
  const turned = (u: number, v: number): Point => [u * Math.cos(theta) - v * Math.sin(theta), u * Math.sin(theta) + v * Math.cos(theta)];
  const from = start ?? turned(-3.5, Math.min(1.2, 3.5 / Math.sqrt(condition) + 0.2));
  const reach = Math.max(4, 1.15 * Math.hypot(from[0], from[1]));
  const angleName = Number(angleDegrees.toFixed(3));
  const kappaName = Number(condition.toPrecision(4));
  // Surface names are lower-case words joined by '-': 2.5 → 2p5, −30 → m30.
  const slug = (value: number): string => String(value).replace('.', 'p').replace('-', 'm');
  return defineSurface({
    name: shown.name ?? `quadratic-k${slug(kappaName)}-r${slug(angleName)}`,
    title: shown.title ?? `Quadratic, κ = ${kappaName}${angleDegrees === 0 ? ', axis-aligned' : `, turned ${angleName}°`}`,
    formula: shown.formula ?? `f = ½ (u² + ${kappaName} v²),  (u, v) = (x, y) turned by ${angleName}°`,
    about:
      shown.about ??
      (angleDegrees === 0
        ? 'Curvatures 1 and κ along the axes: a per-coordinate step (Adagrad, RMSProp, Adam) can undo them; GD needs ~κ steps, heavy ball ~√κ.'
        : 'Curvatures 1 and κ along turned directions: a per-coordinate step cannot undo them; momentum is unaffected by the turn.'),
    domain: shown.domain ?? { x: { min: -reach, max: reach }, y: { min: -reach, max: reach } },
    start: from,
    minima: [{ point: [0, 0], global: true }],
    value: (x, y) => (xx * x * x + 2 * xy * x * y + yy * y * y) / 2,
    gradient(x, y, out) {
      out[0] = xx * x + xy * y;
      out[1] = xy * x + yy * y;
      return out;
    },
    tensorValue(point) {
      const [x, y] = coordinates(point);
      return x.square().mul(xx).add(x.mul(y).mul(2 * xy)).add(y.square().mul(yy)).div(2);
    },
  });
}

/**
 * f(w) = ½ wᵀA w in d dimensions with A = Q diag(λ) Qᵀ: the spectrum λ sets the conditioning,
 * the orthogonal Q (identity when axis-aligned) sets how the curvature sits against the axes.
 * The race's momentum and preconditioning claims run on these.
 */
export class QuadraticForm {
  readonly dimension: number;
  /** A, row-major d × d. */
  private readonly hessian: Float64Array;

  /**
   * @param eigenvalues λ₁ … λ_d, all > 0
   * @param rotation Q, row-major d × d and orthogonal, or null for the axis-aligned form
   */
  constructor(
    readonly eigenvalues: Float64Array,
    readonly rotation: Float64Array | null = null,
  ) {
    const d = eigenvalues.length;
    if (d === 0 || !eigenvalues.every((v) => Number.isFinite(v) && v > 0)) throw new RangeError('QuadraticForm: eigenvalues must be a non-empty list of finite numbers > 0');
    if (rotation !== null && rotation.length !== d * d) throw new RangeError(`QuadraticForm: rotation must hold ${d} × ${d} = ${d * d} numbers, got ${rotation.length}`);
    this.dimension = d;
    this.hessian = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let sum = 0;
        if (rotation === null) sum = i === j ? eigenvalues[i]! : 0;
        else for (let k = 0; k < d; k++) sum += rotation[i * d + k]! * eigenvalues[k]! * rotation[j * d + k]!;
        this.hessian[i * d + j] = sum;
      }
    }
  }

  /** κ = λ_max / λ_min. */
  get condition(): number {
    return Math.max(...this.eigenvalues) / Math.min(...this.eigenvalues);
  }

  value(w: ArrayLike<number>, offset = 0): number {
    const d = this.dimension;
    let sum = 0;
    for (let i = 0; i < d; i++) {
      let row = 0;
      for (let j = 0; j < d; j++) row += this.hessian[i * d + j]! * w[offset + j]!;
      sum += w[offset + i]! * row;
    }
    return sum / 2;
  }

  /** Writes ∇f = A w into `out` (both read from `offset`, so one array can hold many points). */
  gradient(w: ArrayLike<number>, out: Float64Array | Float32Array, offset = 0): void {
    const d = this.dimension;
    for (let i = 0; i < d; i++) {
      let row = 0;
      for (let j = 0; j < d; j++) row += this.hessian[i * d + j]! * w[offset + j]!;
      out[offset + i] = row;
    }
  }

  /** The point Q v, for v given in the eigenbasis (so that a turned and an axis-aligned form can start from the same place relative to their curvature). */
  fromEigenbasis(v: ArrayLike<number>): Float64Array {
    const d = this.dimension;
    if (this.rotation === null) return Float64Array.from(v);
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) out[i]! += this.rotation[i * d + k]! * v[k]!;
    return out;
  }
}

/** d eigenvalues spread evenly in log scale from 1/κ to 1 (the steepest curvature is 1, so lr·L = lr). */
export function logSpacedSpectrum(dimension: number, condition: number): Float64Array {
  if (!(Number.isInteger(dimension) && dimension >= 2)) throw new RangeError(`logSpacedSpectrum: dimension must be an integer ≥ 2, got ${dimension}`);
  if (!(Number.isFinite(condition) && condition >= 1)) throw new RangeError(`logSpacedSpectrum: condition must be a finite number ≥ 1, got ${condition}`);
  return Float64Array.from({ length: dimension }, (_, i) => condition ** (i / (dimension - 1) - 1));
}

/**
 * A uniformly random rotation of d dimensions (Haar measure): Gram–Schmidt on a Gaussian
 * matrix. Gram–Schmidt leaves R with a positive diagonal, which is what makes Q uniform
 * (Mezzadri 2007).
 * @param normal draws of a standard normal (a seeded generator's)
 */
export function randomRotation(dimension: number, normal: () => number): Float64Array {
  const d = dimension;
  const q = Float64Array.from({ length: d * d }, () => normal());
  for (let c = 0; c < d; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += q[r * d + c]! * q[r * d + p]!;
      for (let r = 0; r < d; r++) q[r * d + c]! -= dot * q[r * d + p]!;
    }
    let norm = 0;
    for (let r = 0; r < d; r++) norm += q[r * d + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < d; r++) q[r * d + c]! /= norm;
  }
  return q;
}

/**
 * The surface zoo. Each gradient is derived by hand beside its value; test/surfaces.test.ts
 * checks every one against autograd in float64.
 */
import type { Tensor } from '../tensor/tensor.js';
import { defineSurface, cosTensor, coordinates, type GradientOut } from './surface.js';
import { quadraticBowl } from './quadratic.js';

export const rosenbrock = defineSurface({
  name: 'rosenbrock',
  title: 'Rosenbrock',
  formula: 'f(x, y) = (1 − x)² + 100 (y − x²)²',
  about: 'A long, curved, flat-bottomed valley: finding it is easy, following it to (1, 1) is slow for plain GD.',
  domain: { x: { min: -2, max: 2 }, y: { min: -1, max: 3 } },
  start: [-1.2, 1],
  minima: [{ point: [1, 1], global: true }],
  value: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  gradient(x, y, out) {
    const valley = y - x * x;
    // ∂/∂x: −2(1 − x) − 400 x (y − x²);  ∂/∂y: 200 (y − x²)
    out[0] = -2 * (1 - x) - 400 * x * valley;
    out[1] = 200 * valley;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100));
  },
});

export const beale = defineSurface({
  name: 'beale',
  title: 'Beale',
  formula: 'f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²',
  about: 'Flat plateaus next to steep walls in the corners: gradient scales differ by orders of magnitude.',
  domain: { x: { min: -4.5, max: 4.5 }, y: { min: -4.5, max: 4.5 } },
  start: [1, 1.5],
  minima: [{ point: [3, 0.5], global: true }],
  value(x, y) {
    const a = 1.5 - x + x * y;
    const b = 2.25 - x + x * y * y;
    const c = 2.625 - x + x * y * y * y;
    return a * a + b * b + c * c;
  },
  gradient(x, y, out) {
    const a = 1.5 - x + x * y;
    const b = 2.25 - x + x * y * y;
    const c = 2.625 - x + x * y * y * y;
    // each term t_k = c_k − x + x yᵏ has ∂t/∂x = yᵏ − 1 and ∂t/∂y = k x yᵏ⁻¹
    out[0] = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y * y * y - 1);
    out[1] = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y * y;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    const term = (constant: number, yPower: Tensor): Tensor => x.neg().add(constant).add(x.mul(yPower)).square();
    return term(1.5, y).add(term(2.25, y.square())).add(term(2.625, y.pow(3)));
  },
});

export const himmelblau = defineSurface({
  name: 'himmelblau',
  title: 'Himmelblau',
  formula: 'f(x, y) = (x² + y − 11)² + (x + y² − 7)²',
  about: 'Four equally deep minima: which basin an optimizer ends in depends on its dynamics, not only on the start.',
  domain: { x: { min: -5, max: 5 }, y: { min: -5, max: 5 } },
  start: [-0.3, -0.8],
  refine: true,
  minima: [
    { point: [3, 2], global: true },
    { point: [-2.805118, 3.131312], global: true },
    { point: [-3.77931, -3.283186], global: true },
    { point: [3.584428, -1.848126], global: true },
  ],
  saddles: [
    [0.086677, 2.884254],
    [-3.073026, -0.081353],
    [3.385154, 0.073852],
    [-0.127961, -1.953715],
  ],
  value(x, y) {
    const u = x * x + y - 11;
    const v = x + y * y - 7;
    return u * u + v * v;
  },
  gradient(x, y, out) {
    const u = x * x + y - 11;
    const v = x + y * y - 7;
    out[0] = 4 * x * u + 2 * v;
    out[1] = 2 * u + 4 * y * v;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.square().add(y).sub(11).square().add(x.add(y.square()).sub(7).square());
  },
});

const TWO_PI = 2 * Math.PI;

export const rastrigin = defineSurface({
  name: 'rastrigin',
  title: 'Rastrigin',
  formula: 'f(x, y) = 20 + x² − 10 cos 2πx + y² − 10 cos 2πy',
  about: 'A bowl covered in a regular grid of local minima: step size decides how many of them are jumped.',
  domain: { x: { min: -5.12, max: 5.12 }, y: { min: -5.12, max: 5.12 } },
  start: [2.3, -2.7],
  minima: [{ point: [0, 0], global: true }],
  value: (x, y) => 20 + x * x - 10 * Math.cos(TWO_PI * x) + y * y - 10 * Math.cos(TWO_PI * y),
  gradient(x, y, out) {
    out[0] = 2 * x + 10 * TWO_PI * Math.sin(TWO_PI * x);
    out[1] = 2 * y + 10 * TWO_PI * Math.sin(TWO_PI * y);
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    const ripple = (t: Tensor): Tensor => t.square().sub(cosTensor(t.mul(TWO_PI)).mul(10));
    return ripple(x).add(ripple(y)).add(20);
  },
});

export const saddle = defineSurface({
  name: 'saddle',
  title: 'Saddle',
  formula: 'f(x, y) = x² − y²',
  about: 'The textbook saddle: unbounded below, so trajectories are kept inside the plot domain; near y = 0 the way down is nearly flat.',
  domain: { x: { min: -2, max: 2 }, y: { min: -2, max: 2 } },
  start: [1.5, 1e-3],
  clampToDomain: true,
  minima: [],
  saddles: [[0, 0]],
  value: (x, y) => x * x - y * y,
  gradient(x, y, out) {
    out[0] = 2 * x;
    out[1] = -2 * y;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.square().sub(y.square());
  },
});

export const boundedSaddle = defineSurface({
  name: 'bounded-saddle',
  title: 'Bounded saddle',
  formula: 'f(x, y) = x² − y² + y⁴/4',
  about: 'A saddle at the origin between two minima at (0, ±√2): how long an optimizer lingers before leaving it.',
  domain: { x: { min: -2, max: 2 }, y: { min: -2.5, max: 2.5 } },
  start: [1.5, 1e-3],
  minima: [
    { point: [0, Math.SQRT2], global: true },
    { point: [0, -Math.SQRT2], global: true },
  ],
  saddles: [[0, 0]],
  value: (x, y) => x * x - y * y + (y * y * y * y) / 4,
  gradient(x, y, out) {
    out[0] = 2 * x;
    out[1] = -2 * y + y * y * y;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.square().sub(y.square()).add(y.pow(4).div(4));
  },
});

// The ill-conditioned pair are the quadratic bowl of κ = 25, axis-aligned and turned by 45°:
// A = R diag(1, 25) Rᵀ, so a_xx = a_yy = (1 + 25)/2 = 13 and a_xy = (1 − 25)/2 = −12.
export const illConditioned = quadraticBowl({
  condition: 25,
  name: 'ill-conditioned',
  title: 'Ill-conditioned quadratic (axis-aligned)',
  formula: 'f(x, y) = (x² + 25 y²) / 2',
  about: 'Curvatures 1 and 25 along the axes: GD zig-zags across the steep axis and crawls along the flat one; a per-coordinate step (Adagrad, RMSProp, Adam) fixes exactly this.',
  domain: { x: { min: -4, max: 4 }, y: { min: -2, max: 2 } },
  start: [-3.5, 1.2],
});

export const illConditionedRotated = quadraticBowl({
  condition: 25,
  angleDegrees: 45,
  name: 'ill-conditioned-rotated',
  title: 'Ill-conditioned quadratic (rotated 45°)',
  formula: 'f(x, y) = (13 x² − 24 xy + 13 y²) / 2',
  about: 'The same curvatures 1 and 25 along the diagonals: no per-coordinate scaling can undo the rotation, so adaptive methods lose their edge.',
  domain: { x: { min: -3, max: 3 }, y: { min: -3, max: 3 } },
  start: [-2.5, -1.2],
});

// ∂f/∂x = x³ + x²/2 − 3x/2 = x (x − 1)(x + 3/2): a poor minimum at x = 1 (f = −1/3), a hump
// at x = 0 (f = 0) and the better minimum at x = −3/2 (f = −63/64).
export const twoWell = defineSurface({
  name: 'two-well',
  title: 'Two-well bowl',
  formula: 'f(x, y) = x⁴/4 + x³/6 − 3x²/4 + y²',
  about: 'Coming from the right, an optimizer meets the poor minimum (1, 0) first; reaching the better one at (−1.5, 0) needs momentum or a large step over the hump at x = 0.',
  domain: { x: { min: -2.5, max: 2.5 }, y: { min: -1.5, max: 1.5 } },
  start: [2.2, 1],
  minima: [
    { point: [-1.5, 0], global: true },
    { point: [1, 0], global: false },
  ],
  saddles: [[0, 0]],
  value: (x, y) => (x * x * x * x) / 4 + (x * x * x) / 6 - (3 * x * x) / 4 + y * y,
  gradient(x, y, out) {
    out[0] = x * x * x + (x * x) / 2 - (3 * x) / 2;
    out[1] = 2 * y;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.pow(4).div(4).add(x.pow(3).div(6)).sub(x.square().mul(0.75)).add(y.square());
  },
});

export const plateau = defineSurface({
  name: 'plateau',
  title: 'Plateau',
  formula: 'f(x, y) = 1 − exp(−(x² + 2y²)/2)',
  about: 'Far from the well the surface is almost flat: gradients of 10⁻³ leave plain GD crawling, while a normalized step (Adam, RMSProp) moves at full speed.',
  domain: { x: { min: -4, max: 4 }, y: { min: -3, max: 3 } },
  start: [3, 1.5],
  minima: [{ point: [0, 0], global: true }],
  value: (x, y) => 1 - Math.exp(-(x * x + 2 * y * y) / 2),
  gradient(x, y, out) {
    const well = Math.exp(-(x * x + 2 * y * y) / 2);
    out[0] = x * well;
    out[1] = 2 * y * well;
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.square().add(y.square().mul(2)).div(-2).exp().neg().add(1);
  },
});

// A wide bowl holding a deep narrow well and a slightly shallower wide one.
const BOWL = 0.04;
const SHARP = { x: -1.5, y: 0.5, depth: 1, width: 0.2 };
const FLAT = { x: 1.2, y: -0.4, depth: 0.8, width: 1 };

function gaussianWell(x: number, y: number, well: typeof SHARP): number {
  const dx = x - well.x;
  const dy = y - well.y;
  return well.depth * Math.exp(-(dx * dx + dy * dy) / (2 * well.width * well.width));
}

function gaussianWellTensor(x: Tensor, y: Tensor, well: typeof SHARP): Tensor {
  return x.sub(well.x).square().add(y.sub(well.y).square()).div(-2 * well.width * well.width).exp().mul(well.depth);
}

export const sharpFlat = defineSurface({
  name: 'sharp-flat',
  title: 'Sharp vs flat wells',
  formula: 'f(x, y) = 0.04 (x² + y²) − e^(−|p − s|²/(2·0.2²)) − 0.8 e^(−|p − w|²/(2·1²)),  s = (−1.5, 0.5), w = (1.2, −0.4)',
  about: 'A deep but narrow well beside a shallower wide one: a small perturbation of the sharp minimum costs much more loss (what SAM avoids).',
  domain: { x: { min: -3, max: 3 }, y: { min: -2, max: 2 } },
  start: [-0.9, 1.2],
  refine: true,
  minima: [
    { point: [SHARP.x, SHARP.y], global: true },
    { point: [FLAT.x, FLAT.y], global: false },
  ],
  value: (x, y) => BOWL * (x * x + y * y) - gaussianWell(x, y, SHARP) - gaussianWell(x, y, FLAT),
  gradient(x, y, out: GradientOut) {
    const sharp = gaussianWell(x, y, SHARP) / (SHARP.width * SHARP.width);
    const flat = gaussianWell(x, y, FLAT) / (FLAT.width * FLAT.width);
    // d/dp of −d·exp(−|p − c|²/(2σ²)) is d·exp(…)·(p − c)/σ²
    out[0] = 2 * BOWL * x + sharp * (x - SHARP.x) + flat * (x - FLAT.x);
    out[1] = 2 * BOWL * y + sharp * (y - SHARP.y) + flat * (y - FLAT.y);
    return out;
  },
  tensorValue(point) {
    const [x, y] = coordinates(point);
    return x.square().add(y.square()).mul(BOWL).sub(gaussianWellTensor(x, y, SHARP)).sub(gaussianWellTensor(x, y, FLAT));
  },
});

/**
 * Strong Wolfe line search with cubic interpolation (Nocedal & Wright, Algorithms 3.5 and
 * 3.6), step for step as PyTorch's `_strong_wolfe` and `_cubic_interpolate` (themselves
 * ports of Torch7's `lswolfe.lua` and `polyinterp.lua`), so that L-BFGS takes the same
 * trial steps and counts the same function evaluations.
 *
 * Along the ray x + t·d, with φ(t) = f(x + t·d) and φ'(t) = ∇f(x + t·d)ᵀd, a step t is
 * accepted when
 *   sufficient decrease (Armijo):  φ(t) ≤ φ(0) + c₁ · t · φ'(0)
 *   strong curvature:              |φ'(t)| ≤ −c₂ · φ'(0)
 * The search first grows t until an interval [t_lo, t_hi] must contain such a point
 * (bracketing), then shrinks the interval by cubic interpolation (zoom).
 */
import type { FloatArray } from '../../tensor/tensor.js';
import { dot, maxAbs } from './flat_vector.js';

/** PyTorch's fixed constants: they are not options of `torch.optim.LBFGS`. */
export const SUFFICIENT_DECREASE = 1e-4;
export const CURVATURE = 0.9;
export const MAX_LINE_SEARCH_ITERATIONS = 25;
/** The search stops shrinking a bracket narrower than this along d (`_strong_wolfe`'s default). */
export const LINE_SEARCH_TOLERANCE_CHANGE = 1e-9;

/**
 * The minimizer of the cubic that matches φ and φ' at x₁ and x₂, clamped to `bounds`
 * (by default the interval between the two points); the bounds' midpoint when the cubic
 * has no real minimizer.
 *
 *   d₁ = φ'₁ + φ'₂ − 3 (φ₁ − φ₂) / (x₁ − x₂)
 *   d₂ = √(d₁² − φ'₁ φ'₂)
 *   t  = x₂ − (x₂ − x₁) · (φ'₂ + d₂ − d₁) / (φ'₂ − φ'₁ + 2 d₂)      (x₁ ≤ x₂; mirrored otherwise)
 */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [lowBound, highBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (!(d2Square >= 0)) return (lowBound + highBound) / 2;
  const d2 = Math.sqrt(d2Square);
  const minimizer = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(minimizer, lowBound), highBound);
}

/**
 * φ and ∇f at x + t·d: writes the flat gradient into `gradient` and returns the loss. The
 * parameters must be back at x when it returns.
 */
export type DirectionalObjective = (t: number, gradient: FloatArray) => number;

/**
 * Gradient buffers the search works in, each as long as the flat parameter vector. Two hold
 * the ends of the bracket, one the latest trial; the accepted gradient is copied out of them.
 */
export interface LineSearchWorkspace {
  bracketGradients: [FloatArray, FloatArray];
  trialGradient: FloatArray;
}

export interface LineSearchResult {
  loss: number;
  step: number;
  evaluations: number;
}

/**
 * Searches along `direction` from the point where the loss is `loss`, the gradient
 * `gradient` and the directional derivative `slope` (= gradientᵀdirection < 0), starting at
 * step `initialStep`. Returns the accepted step, its loss and the number of evaluations;
 * the gradient at the accepted step is copied into `acceptedGradient`, which may be
 * `gradient` itself (it is written last).
 */
export function strongWolfe(
  objective: DirectionalObjective,
  direction: FloatArray,
  initialStep: number,
  loss: number,
  gradient: FloatArray,
  slope: number,
  toleranceChange: number,
  workspace: LineSearchWorkspace,
  acceptedGradient: FloatArray,
): LineSearchResult {
  const c1 = SUFFICIENT_DECREASE;
  const c2 = CURVATURE;
  const maxIterations = MAX_LINE_SEARCH_ITERATIONS;
  const directionScale = maxAbs(direction);
  const slots = workspace.bracketGradients;
  const trial = workspace.trialGradient;
  const armijoFails = (t: number, f: number): boolean => f > loss + c1 * t * slope;
  const curvatureHolds = (g: number): boolean => Math.abs(g) <= -c2 * slope;

  let t = initialStep;
  let fNew = objective(t, trial);
  let evaluations = 1;
  let slopeNew = dot(trial, direction);

  // Bracketing. The previous point's gradient lives in slot 0 (at first, the start's).
  let tPrev = 0;
  let fPrev = loss;
  let slopePrev = slope;
  slots[0].set(gradient);
  const bracket = [0, 0];
  const bracketLoss = [0, 0];
  const bracketSlope = [0, 0];
  let bracketSize = 0;
  let done = false;
  let iteration = 0;
  while (iteration < maxIterations) {
    const overshot = armijoFails(t, fNew) || (iteration > 1 && fNew >= fPrev);
    if (!overshot && curvatureHolds(slopeNew)) {
      bracket[0] = t;
      bracketLoss[0] = fNew;
      slots[0].set(trial);
      bracketSize = 1;
      done = true;
      break;
    }
    if (overshot || slopeNew >= 0) {
      // Too far, or past a minimum along the ray: [tPrev, t] brackets an acceptable step.
      bracket[0] = tPrev;
      bracketLoss[0] = fPrev;
      bracketSlope[0] = slopePrev;
      bracket[1] = t;
      bracketLoss[1] = fNew;
      bracketSlope[1] = slopeNew;
      slots[1].set(trial);
      bracketSize = 2;
      break;
    }
    // Still descending: extrapolate, at least 1% past t and at most 10·t.
    const next = cubicInterpolate(tPrev, fPrev, slopePrev, t, fNew, slopeNew, [t + 0.01 * (t - tPrev), t * 10]);
    tPrev = t;
    fPrev = fNew;
    slopePrev = slopeNew;
    slots[0].set(trial);
    t = next;
    fNew = objective(t, trial);
    evaluations++;
    slopeNew = dot(trial, direction);
    iteration++;
  }
  if (iteration === maxIterations) {
    // PyTorch falls back to [0, t]; with no iterations left the zoom below does not run.
    bracket[0] = 0;
    bracketLoss[0] = loss;
    bracket[1] = t;
    bracketLoss[1] = fNew;
    slots[0].set(gradient);
    slots[1].set(trial);
    bracketSize = 2;
  }

  // Zoom: shrink [bracket[0], bracket[1]] around a point meeting both conditions.
  let low = bracketLoss[0]! <= bracketLoss[bracketSize - 1]! ? 0 : 1;
  let high = 1 - low;
  let insufficientProgress = false;
  while (!done && iteration < maxIterations) {
    if (Math.abs(bracket[1]! - bracket[0]!) * directionScale < toleranceChange) break;
    t = cubicInterpolate(bracket[0]!, bracketLoss[0]!, bracketSlope[0]!, bracket[1]!, bracketLoss[1]!, bracketSlope[1]!);

    // A trial hugging an end of the bracket shrinks it too slowly: after two such trials in
    // a row (or one outside the bracket), move it a tenth of the bracket inside.
    const lo = Math.min(bracket[0]!, bracket[1]!);
    const hi = Math.max(bracket[0]!, bracket[1]!);
    const margin = 0.1 * (hi - lo);
    if (Math.min(hi - t, t - lo) < margin) {
      if (insufficientProgress || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - margin : lo + margin;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }

    fNew = objective(t, trial);
    evaluations++;
    slopeNew = dot(trial, direction);
    iteration++;

    if (armijoFails(t, fNew) || fNew >= bracketLoss[low]!) {
      bracket[high] = t;
      bracketLoss[high] = fNew;
      bracketSlope[high] = slopeNew;
      slots[high]!.set(trial);
      low = bracketLoss[0]! <= bracketLoss[1]! ? 0 : 1;
      high = 1 - low;
    } else {
      if (curvatureHolds(slopeNew)) {
        done = true;
      } else if (slopeNew * (bracket[high]! - bracket[low]!) >= 0) {
        // The slope at t points away from the high end: the old low end becomes the high end.
        bracket[high] = bracket[low]!;
        bracketLoss[high] = bracketLoss[low]!;
        bracketSlope[high] = bracketSlope[low]!;
        slots[high]!.set(slots[low]!);
      }
      bracket[low] = t;
      bracketLoss[low] = fNew;
      bracketSlope[low] = slopeNew;
      slots[low]!.set(trial);
    }
  }

  acceptedGradient.set(slots[low]!);
  return { loss: bracketLoss[low]!, step: bracket[low]!, evaluations };
}

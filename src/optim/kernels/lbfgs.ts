/**
 * L-BFGS over flat vectors (all parameters laid end to end): the curvature-pair memory,
 * the two-loop recursion that applies the inverse-Hessian estimate to a gradient (Nocedal &
 * Wright, Algorithm 7.4), and the iterations of one `step`. The objective is reached only
 * through `FlatProblem`, so nothing here knows about tensors, closures or param groups.
 * Each accepted curvature pair gets two fresh vectors (as in PyTorch); nothing else allocates
 * after the first iteration. The memory's vectors are never overwritten, and `direction` and
 * `previousGradient` are written in place, so a caller that wants a step to be undoable keeps
 * copies of those two only.
 */
import type { FloatArray } from '../../tensor/tensor.js';
import { axpy, difference, dot, maxAbs, negate, scaled, sumAbs } from './flat_vector.js';
import { LINE_SEARCH_TOLERANCE_CHANGE, strongWolfe, type LineSearchWorkspace } from './line_search.js';

/**
 * The last `historySize` curvature pairs, oldest first: `gradDiffs[k]` = y = g₊ − g,
 * `steps[k]` = s = t·d, `rho[k]` = 1 / (yᵀs). PyTorch calls these `old_dirs`, `old_stps`
 * and `ro`.
 */
export interface CurvatureMemory {
  gradDiffs: FloatArray[];
  steps: FloatArray[];
  rho: number[];
}

/**
 * Takes the pair (y, s) with ρ = 1 / (yᵀs) into memory, forgetting the oldest pair when
 * `historySize` are held. A pair's buffers are never written again once admitted, so a state
 * record that still lists a forgotten pair stays intact.
 */
export function admitPair(memory: CurvatureMemory, historySize: number, y: FloatArray, s: FloatArray, rho: number): void {
  while (memory.gradDiffs.length >= historySize) {
    memory.gradDiffs.shift();
    memory.steps.shift();
    memory.rho.shift();
  }
  memory.gradDiffs.push(y);
  memory.steps.push(s);
  memory.rho.push(rho);
}

/**
 * The two-loop recursion: `direction ← −H·gradient`, where H is the L-BFGS inverse-Hessian
 * estimate built from `memory` on top of the scaled identity `hDiag·I`.
 *
 *   q ← −g
 *   for k = m−1 … 0:  αₖ ← ρₖ sₖᵀq,   q ← q − αₖ yₖ
 *   r ← hDiag · q
 *   for k = 0 … m−1:  βₖ ← ρₖ yₖᵀr,   r ← r + (αₖ − βₖ) sₖ
 *
 * `alphas` (length ≥ m) receives αₖ; PyTorch keeps them in state as `al`.
 */
export function twoLoopDirection(direction: FloatArray, gradient: FloatArray, memory: CurvatureMemory, hDiag: number, alphas: Float64Array): void {
  const { gradDiffs, steps, rho } = memory;
  const count = gradDiffs.length;
  negate(direction, gradient);
  for (let k = count - 1; k >= 0; k--) {
    const alpha = dot(steps[k]!, direction) * rho[k]!;
    alphas[k] = alpha;
    axpy(direction, -alpha, gradDiffs[k]!);
  }
  for (let i = 0; i < direction.length; i++) direction[i]! *= hDiag;
  for (let k = 0; k < count; k++) {
    const beta = dot(gradDiffs[k]!, direction) * rho[k]!;
    axpy(direction, alphas[k]! - beta, steps[k]!);
  }
}

/** The options of one L-BFGS step, as numbers (PyTorch's names in camelCase). */
export interface LbfgsSettings {
  lr: number;
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  strongWolfe: boolean;
}

/**
 * What L-BFGS carries from one `step` to the next. PyTorch's names: `func_evals`, `n_iter`,
 * `d`, `t`, `old_dirs`/`old_stps`/`ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`.
 * Everything but the counters is null until the first iteration sets it.
 */
export interface LbfgsState {
  funcEvals: number;
  nIter: number;
  direction: FloatArray | null;
  step: number | null;
  memory: CurvatureMemory | null;
  hDiag: number;
  previousGradient: FloatArray | null;
  previousLoss: number | null;
  /** α of the last two-loop recursion; entries past the memory's length were never written. */
  alphas: Float64Array | null;
}

export function initialLbfgsState(): LbfgsState {
  return { funcEvals: 0, nIter: 0, direction: null, step: null, memory: null, hDiag: 1, previousGradient: null, previousLoss: null, alphas: null };
}

/**
 * The objective seen through the flat parameter vector x. `evaluate` runs the user's closure
 * at the current x and writes ∇f(x) into `gradient`.
 */
export interface FlatProblem {
  allocate(): FloatArray;
  evaluate(gradient: FloatArray): number;
  /** x ← x + t·direction */
  move(t: number, direction: FloatArray): void;
  save(into: FloatArray): void;
  restore(from: FloatArray): void;
}

/** Flat buffers one step works in; none of them carries meaning from step to step. */
export interface LbfgsWorkspace {
  gradient: FloatArray;
  startPoint: FloatArray;
  candidatePair: [FloatArray, FloatArray];
  lineSearch: LineSearchWorkspace;
}

export function createLbfgsWorkspace(allocate: () => FloatArray): LbfgsWorkspace {
  return {
    gradient: allocate(),
    startPoint: allocate(),
    candidatePair: [allocate(), allocate()],
    lineSearch: { bracketGradients: [allocate(), allocate()], trialGradient: allocate() },
  };
}

/** Pairs with yᵀs at or below this are skipped: they would break H's positive definiteness. */
export const CURVATURE_THRESHOLD = 1e-10;

/**
 * One `LBFGS.step(closure)`: up to `maxIter` iterations of
 *   d ← −H·g (two-loop), t ← lr (first ever: min(1, 1/‖g‖₁)·lr), x ← x + t·d (or the
 *   strong-Wolfe step along d), then (y, s) = (g₊ − g, t·d) into memory when yᵀs > 10⁻¹⁰,
 * stopping early on ‖g‖∞ ≤ toleranceGrad, gᵀd > −toleranceChange, ‖t·d‖∞ ≤ toleranceChange,
 * |Δf| < toleranceChange or `maxEval` evaluations, in PyTorch's order.
 */
export function lbfgsStep(problem: FlatProblem, state: LbfgsState, settings: LbfgsSettings, work: LbfgsWorkspace): void {
  const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize } = settings;
  const flatGrad = work.gradient;

  let loss = problem.evaluate(flatGrad);
  let evaluations = 1;
  state.funcEvals += 1;
  let optimal = maxAbs(flatGrad) <= toleranceGrad;
  if (optimal) return;

  const direction = state.direction ?? problem.allocate();
  let t = state.step ?? lr;
  const previousGradient = state.previousGradient ?? problem.allocate();
  let memory = state.memory ?? { gradDiffs: [], steps: [], rho: [] };

  let iteration = 0;
  while (iteration < maxIter) {
    iteration++;
    state.nIter++;

    if (state.nIter === 1) {
      negate(direction, flatGrad);
      memory = { gradDiffs: [], steps: [], rho: [] };
      state.hDiag = 1;
    } else {
      const [y, s] = work.candidatePair;
      difference(y, flatGrad, previousGradient);
      scaled(s, t, direction);
      const ys = dot(y, s);
      if (ys > CURVATURE_THRESHOLD) {
        admitPair(memory, historySize, y, s, 1 / ys);
        work.candidatePair = [problem.allocate(), problem.allocate()];
        // H₀ = (yᵀs / yᵀy)·I: the curvature along the newest pair sets the scale.
        state.hDiag = ys / dot(y, y);
      }
      if (state.alphas === null || state.alphas.length < memory.gradDiffs.length) {
        const grown = new Float64Array(Math.max(historySize, memory.gradDiffs.length));
        if (state.alphas !== null) grown.set(state.alphas);
        state.alphas = grown;
      }
      twoLoopDirection(direction, flatGrad, memory, state.hDiag, state.alphas);
    }
    previousGradient.set(flatGrad);
    state.previousLoss = loss;

    t = state.nIter === 1 ? Math.min(1, 1 / sumAbs(flatGrad)) * lr : lr;
    const slope = dot(flatGrad, direction);
    if (slope > -toleranceChange) break;

    let lineEvaluations = 0;
    if (settings.strongWolfe) {
      const start = work.startPoint;
      problem.save(start);
      const alongDirection = (step: number, gradient: FloatArray): number => {
        problem.move(step, direction);
        try {
          return problem.evaluate(gradient);
        } finally {
          problem.restore(start);
        }
      };
      // PyTorch passes the group's toleranceChange to the iterations only: the search keeps its own 1e-9.
      const found = strongWolfe(alongDirection, direction, t, loss, flatGrad, slope, LINE_SEARCH_TOLERANCE_CHANGE, work.lineSearch, flatGrad);
      loss = found.loss;
      t = found.step;
      lineEvaluations = found.evaluations;
      problem.move(t, direction);
      optimal = maxAbs(flatGrad) <= toleranceGrad;
    } else {
      problem.move(t, direction);
      // The last iteration skips the evaluation: the next step starts with one anyway.
      if (iteration !== maxIter) {
        loss = problem.evaluate(flatGrad);
        optimal = maxAbs(flatGrad) <= toleranceGrad;
        lineEvaluations = 1;
      }
    }
    evaluations += lineEvaluations;
    state.funcEvals += lineEvaluations;

    if (iteration === maxIter) break;
    if (evaluations >= maxEval) break;
    if (optimal) break;
    if (maxAbs(direction) * Math.abs(t) <= toleranceChange) break;
    if (Math.abs(loss - state.previousLoss) < toleranceChange) break;
  }

  state.direction = direction;
  state.step = t;
  state.memory = memory;
  state.previousGradient = previousGradient;
}

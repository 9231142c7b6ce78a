/**
 * Finite-difference gradient check in float64.
 *
 * For a function f of some tensors, reduce its output to a scalar with a fixed random
 * weighting, L(x) = Σ w ⊙ f(x), so that every output element contributes with its own
 * weight (a plain sum would hide errors that cancel). Then compare
 *
 *   analytic:  ∂L/∂xⱼ from backward()
 *   numeric:   (L(x + h·eⱼ) − L(x − h·eⱼ)) / 2h        (error O(h²) + O(ε·|L|/h))
 *
 * elementwise with |analytic − numeric| ≤ atol + rtol·|numeric|. With h = 1e-6 in float64
 * the two error terms balance near 1e-10·scale, far below the tolerances the tests use.
 *
 * `f` must be deterministic: anything random (dropout) must build its generator inside `f`.
 * The inputs are perturbed in place and restored, so `f` may also close over modules whose
 * parameters are passed as inputs.
 */
import { Tensor, Generator, noGrad, type Gradient, type FloatArray } from '../../src/index.js';
import { closeness, type Tolerance } from './allclose.js';

export interface GradcheckOptions extends Required<Tolerance> {
  /** Finite-difference step. */
  h?: number;
  /** Seed of the output weighting w. */
  seed?: number;
}

export interface GradcheckReport {
  maxAbsError: number;
  maxRelError: number;
}

function dense(g: Gradient): Tensor {
  return g instanceof Tensor ? g : g.toDense();
}

function weightedSum(y: FloatArray, w: FloatArray): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) total += w[i]! * y[i]!;
  return total;
}

/** Float64 random numbers in [-1, 1): a helper to build gradcheck inputs. */
export function randomInput(shape: number[], seed: number, { low = -1, high = 1 }: { low?: number; high?: number } = {}): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = low + (high - low) * g.uniform();
  return new Tensor(data, shape, { requiresGrad: true });
}

/**
 * Checks the gradient of `f` with respect to each of `inputs` (float64 leaves that require
 * grad). Throws, naming the input and position, when a value is off; returns the worst errors.
 */
export function gradcheck(f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions, label = 'gradcheck'): GradcheckReport {
  const { rtol, atol, h = 1e-6, seed = 1234 } = options;
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float64') throw new Error(`${label}: input ${i} is ${x.dtype}; gradcheck needs float64 inputs`);
    if (!x.requiresGrad || !x.isLeaf) throw new Error(`${label}: input ${i} must be a leaf that requires grad`);
    x.grad = null;
  });

  const y = f(...inputs);
  if (y.dtype !== 'float64') throw new Error(`${label}: output is ${y.dtype}; some op dropped to float32, so finite differences would be meaningless`);
  const weightGenerator = new Generator(seed);
  const w = new Float64Array(y.data.length).map(() => weightGenerator.uniform() * 2 - 1);
  y.backward(new Tensor(w, y.shape));

  const evaluate = (): number => noGrad(() => weightedSum(f(...inputs).data, w));
  const report: GradcheckReport = { maxAbsError: 0, maxRelError: 0 };
  inputs.forEach((x, i) => {
    const numeric = new Float64Array(x.data.length);
    for (let j = 0; j < x.data.length; j++) {
      const original = x.data[j]!;
      x.data[j] = original + h;
      const plus = evaluate();
      x.data[j] = original - h;
      const minus = evaluate();
      x.data[j] = original;
      numeric[j] = (plus - minus) / (2 * h);
    }
    // An input that does not reach the output gets no gradient at all: that must mean zero.
    const analytic = x.grad === null ? new Float64Array(x.data.length) : dense(x.grad).data;
    if (x.grad !== null && x.grad.shape.join() !== x.shape.join()) {
      throw new Error(`${label}: gradient of input ${i} has shape [${x.grad.shape}], input has [${x.shape}]`);
    }
    const c = closeness(analytic, numeric, { rtol, atol });
    if (!c.ok) {
      const k = c.worstIndex;
      throw new Error(
        `${label}: input ${i} (shape [${x.shape}]) position ${k}: analytic ${analytic[k]}, numeric ${numeric[k]} (rtol ${rtol}, atol ${atol}; max abs error ${c.maxAbsError.toExponential(3)})`,
      );
    }
    report.maxAbsError = Math.max(report.maxAbsError, c.maxAbsError);
    report.maxRelError = Math.max(report.maxRelError, c.maxRelError);
  });
  return report;
}

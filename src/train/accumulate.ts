/**
 * Gradient accumulation: k micro-batches of size b make one optimizer step that equals a
 * step on one batch of size k·b (for a loss that is a mean over the batch).
 *
 * ```text
 * each micro-batch i = 1 … k:   g ← g + ∇(Lᵢ / k)      (gradients start at zero each cycle)
 * after the k-th:               optimizer.step(); zero the gradients
 * flush() after m < k:          g ← g·k/m, then step   (the mean over the m seen)
 * ```
 *
 * ∇ of the mean over k·b samples is (1/k)·Σᵢ ∇Lᵢ when each Lᵢ is the mean over its b samples,
 * which is what the scaled backward passes add up.
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';

/** The optimizer surface accumulation needs. */
export interface SteppableOptimizer {
  readonly paramGroups: readonly { params: readonly Tensor[] }[];
  step(): unknown;
  zeroGrad(): void;
}

export interface GradientAccumulatorOptions {
  /** Micro-batches per optimizer step (k). */
  steps: number;
}

export class GradientAccumulator {
  readonly optimizer: SteppableOptimizer;
  /** Micro-batches per optimizer step. */
  readonly steps: number;
  /** Micro-batches accumulated since the last optimizer step. */
  pending = 0;
  /** Optimizer steps taken. */
  optimizerSteps = 0;

  constructor(optimizer: SteppableOptimizer, options: GradientAccumulatorOptions) {
    if (typeof optimizer?.step !== 'function' || typeof optimizer.zeroGrad !== 'function' || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError('GradientAccumulator: expected an optimizer with step(), zeroGrad() and paramGroups');
    }
    const steps = options?.steps;
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) {
      throw new RangeError(`GradientAccumulator: steps must be a positive integer, got ${String(steps)}`);
    }
    this.optimizer = optimizer;
    this.steps = steps;
  }

  /** Back-propagates loss/k into the gradients (clearing them first at the start of a cycle). */
  backward(loss: Tensor): void {
    if (!(loss instanceof Tensor) || loss.data.length !== 1) {
      throw new TypeError(`GradientAccumulator.backward: expected a scalar loss tensor, got ${loss instanceof Tensor ? `shape [${loss.shape.join(', ')}]` : String(loss)}`);
    }
    if (this.pending >= this.steps) {
      throw new Error(`GradientAccumulator.backward: ${this.pending} micro-batches are waiting for step(); call step() after each backward()`);
    }
    if (this.pending === 0) this.optimizer.zeroGrad();
    // Seeding backward with 1/k scales every gradient without another graph node.
    loss.backward(new Tensor(allocate(1, loss.dtype).fill(1 / this.steps), loss.shape));
    this.pending += 1;
  }

  /** Counts the micro-batch just back-propagated; steps the optimizer after every k-th. Returns whether it stepped. */
  step(): boolean {
    if (this.pending < this.steps) return false;
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.pending = 0;
    this.optimizerSteps += 1;
    return true;
  }

  /** Steps on an unfinished cycle (the end of an epoch), rescaled to the mean of the micro-batches seen. */
  flush(): boolean {
    if (this.pending === 0) return false;
    if (this.pending < this.steps) {
      const scale = this.steps / this.pending;
      for (const group of this.optimizer.paramGroups) {
        for (const p of group.params) {
          const g = p.grad;
          if (g === null) continue;
          const data = g instanceof SparseRows ? g.values.data : g.data;
          for (let i = 0; i < data.length; i++) data[i]! *= scale;
        }
      }
    }
    this.pending = this.steps;
    return this.step();
  }
}

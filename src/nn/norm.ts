/**
 * Normalization layers (PyTorch's `nn.BatchNorm1d`, `nn.BatchNorm2d`, `nn.LayerNorm`); the
 * computation is in `normalization.ts`.
 *
 * BatchNorm keeps PyTorch's buffers under PyTorch's names, so its state dict (and a
 * safetensors file of it) matches PyTorch's: `running_mean` (zeros), `running_var` (ones) and
 * `num_batches_tracked` (a 0-d count). γ (`weight`) starts at 1 and β (`bias`) at 0.
 */
import { Tensor, ones, zeros, type DType } from '../tensor/tensor.js';
import { shapeString } from '../tensor/shape.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { batchNorm, layerNorm } from './normalization.js';

export interface BatchNormLayerOptions {
  eps?: number;
  /** Weight of each new batch in the running statistics; null: a cumulative average (default 0.1). */
  momentum?: number | null;
  /** Learn γ and β (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them evaluation uses the batch's own. */
  trackRunningStats?: boolean;
  dtype?: DType;
}

abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Parameter | null;
  bias: Parameter | null;
  protected abstract readonly ranks: readonly number[];

  constructor(numFeatures: number, { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = 'float32' }: BatchNormLayerOptions = {}) {
    super();
    const op = this.constructor.name;
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new RangeError(`${op}: numFeatures must be a positive integer, got ${String(numFeatures)}`);
    if (typeof eps !== 'number' || !(eps >= 0)) throw new RangeError(`${op}: eps must be ≥ 0, got ${String(eps)}`);
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) throw new RangeError(`${op}: momentum must be in [0, 1] or null, got ${String(momentum)}`);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.weight = affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    this.registerBuffer('running_mean', trackRunningStats ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', trackRunningStats ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', trackRunningStats ? zeros([], { dtype }) : null);
  }

  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  forward(x: Tensor): Tensor {
    const op = this.constructor.name;
    if (!(x instanceof Tensor) || !this.ranks.includes(x.shape.length) || x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${op}(${this.numFeatures}): expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels in dim 1, got ${x instanceof Tensor ? shapeString(x.shape) : typeof x}`);
    }
    const count = this.getBuffer('num_batches_tracked');
    const tracking = count !== null;
    const useBatch = this.training || !tracking;
    if (this.training && tracking) count.data[0]! += 1;
    return batchNorm(x, useBatch && !this.training ? null : this.runningMean, useBatch && !this.training ? null : this.runningVar, this.weight, this.bias, {
      training: useBatch,
      momentum: this.momentum,
      eps: this.eps,
      batchesTracked: tracking ? count.data[0]! : 1,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

/** Batch normalization over [N, C] or [N, C, L]: statistics per channel C. */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3];
}

/** Batch normalization over [N, C, H, W]: statistics per channel C. */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4];
}

export interface LayerNormOptions {
  eps?: number;
  /** Learn γ (and β) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine: learn β too (default true). */
  bias?: boolean;
  dtype?: DType;
}

/** Layer normalization over the trailing `normalizedShape` dims, per sample. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], { eps = 1e-5, elementwiseAffine = true, bias = true, dtype = 'float32' }: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`LayerNorm: normalizedShape must be positive integers, got ${JSON.stringify(normalizedShape)}`);
    if (typeof eps !== 'number' || !(eps >= 0)) throw new RangeError(`LayerNorm: eps must be ≥ 0, got ${String(eps)}`);
    this.normalizedShape = shape;
    this.eps = eps;
    this.weight = elementwiseAffine ? new Parameter(ones(shape, { dtype })) : null;
    this.bias = elementwiseAffine && bias ? new Parameter(zeros(shape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `[${this.normalizedShape}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

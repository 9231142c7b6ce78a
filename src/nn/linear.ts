/**
 * A fully connected layer y = x·Wᵀ + b (PyTorch's `nn.Linear`), with W of shape
 * [outFeatures, inFeatures]. Inputs may have any number of leading dims: [..., in] → [..., out].
 *
 * Initialisation is PyTorch's: W by kaiming_uniform with a = √5, which works out to
 * U(−1/√fanIn, 1/√fanIn) (gain √(2/(1+5)) = √(1/3), bound = gain·√(3/fanIn)), and b from the
 * same interval. W is drawn first, then b.
 */
import { Tensor, zeros, type DType } from '../tensor/tensor.js';
import { shapeString } from '../tensor/shape.js';
import { linear } from '../tensor/linalg.js';
import type { Generator } from '../tensor/random.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { kaimingUniform_, uniform_ } from './init.js';

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
  dtype?: DType;
}

function checkFeatures(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`Linear: ${name} must be a non-negative integer, got ${value}`);
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, { bias = true, generator, dtype = 'float32' }: LinearOptions = {}) {
    super();
    checkFeatures(inFeatures, 'inFeatures');
    checkFeatures(outFeatures, 'outFeatures');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(kaimingUniform_(zeros([outFeatures, inFeatures], { dtype }), { a: Math.sqrt(5), generator }));
    if (bias) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      this.bias = new Parameter(uniform_(zeros([outFeatures], { dtype }), { a: -bound, b: bound, generator }));
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    return this.forwardThen(x, null);
  }

  /**
   * The layer, then `activation` in the same pass over the output (one op; see `linear`):
   * nn.Sequential runs a Linear followed by a ReLU this way.
   */
  forwardThen(x: Tensor, activation: 'relu' | null): Tensor {
    if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== this.inFeatures) {
      throw new RangeError(`Linear(${this.inFeatures} → ${this.outFeatures}): input of shape ${shapeString(x.shape)} does not end in ${this.inFeatures} features`);
    }
    return linear(x, this.weight, this.bias, { activation });
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

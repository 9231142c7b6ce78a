/** Dropout as a layer: active in training mode only (see `F.dropout`). */
import type { Tensor } from '../tensor/tensor.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Module } from './module.js';
import { dropout, dropout2d } from './functional.js';

export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator;

  constructor(p = 0.5, { generator = defaultGenerator }: { generator?: Generator } = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${new.target.name}: probability p must be in [0, 1], got ${String(p)}`);
    this.p = p;
    this.generator = generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Channel dropout as a layer: zeroes whole channels of [N, C, H, W] in training (see `F.dropout2d`). */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, this.generator);
  }
}

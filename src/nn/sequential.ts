/** Modules applied one after another (PyTorch's `nn.Sequential`); children are named "0", "1", …. */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th module (negative counts from the end). */
  at(index: number): Module {
    const layers = this.children();
    const i = index < 0 ? index + layers.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= layers.length) {
      throw new RangeError(`Sequential: index ${index} is out of range for ${layers.length} modules`);
    }
    return layers[i]!;
  }

  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.children()) out = layer.call(out) as Tensor;
    return out;
  }
}

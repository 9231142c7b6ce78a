/** Modules applied one after another (PyTorch's `nn.Sequential`); children are named "0", "1", …. */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { ReLU } from './activation.js';

/** Whether `module` runs exactly its class's own `forward` (no subclass or instance override of it or of `call`). */
const runsOwnForward = (module: Module, cls: { prototype: Module }): boolean =>
  module.forward === cls.prototype.forward && module.call === Module.prototype.call;

/**
 * A Linear directly followed by a ReLU, both as their classes define them, runs as one fused op
 * (`linear` with `activation: 'relu'`): the same values and gradients, with the bias and the ReLU
 * done in the product's output pass.
 */
const linearThenRelu = (layer: Module, next: Module | undefined): layer is Linear =>
  layer instanceof Linear && next instanceof ReLU && runsOwnForward(layer, Linear) && runsOwnForward(next, ReLU);

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
    const layers = this.children();
    let out = x;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      if (linearThenRelu(layer, layers[i + 1])) {
        out = layer.forwardThen(out, 'relu');
        i += 1;
      } else {
        out = layer.call(out) as Tensor;
      }
    }
    return out;
  }
}

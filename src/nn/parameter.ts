/**
 * A tensor that a `Module` owns and an optimizer updates (PyTorch's `nn.Parameter`).
 * Being a `Parameter` is what makes a module field show up in `parameters()`.
 */
import { Tensor } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  /** Wraps `values`' storage (shared, as in PyTorch) as a leaf that requires grad. */
  constructor(values: Tensor, { requiresGrad = true }: { requiresGrad?: boolean } = {}) {
    if (!(values instanceof Tensor)) throw new TypeError('Parameter: expected a Tensor to wrap');
    super(values.data, values.shape, { requiresGrad });
  }
}

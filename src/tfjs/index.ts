/**
 * descent's optimizers for TensorFlow.js models (`descent/tfjs`; `@tensorflow/tfjs` is an optional
 * peer dependency): AdamW, LAMB, schedules, param groups, clipping and PyTorch-layout state
 * dicts, which tfjs lacks, for a `tf.LayersModel` (`model.compile({ optimizer })`) or a list of
 * `tf.Variable`s (`optimizer.minimize(f)`).
 *
 * The adapter is a `tf.Optimizer`. tfjs computes the gradients; each step copies every
 * variable's value and gradient into a descent tensor named after the variable, runs the descent
 * optimizer's `step()`, and assigns the new values back. Reading the values every step (one copy)
 * keeps descent's copy in step with anything that changed a variable in between (`setWeights`,
 * loading a model). The descent optimizer is built by the factory over `[name, tensor]` pairs,
 * so param groups can be chosen by variable name, and it is reachable as `.optimizer` for
 * schedulers, `stateDict()` and clipping.
 */
import * as tf from '@tensorflow/tfjs';
import { Tensor } from '../tensor/tensor.js';
import type { OptimizerLike } from '../optim/wrapper.js';

/** Builds the descent optimizer over the model's variables, as `[variable name, tensor]` pairs. */
export type DescentOptimizerFactory<O extends OptimizerLike = OptimizerLike> = (params: Array<[string, Tensor]>) => O;

export interface DescentOptimizerOptions {
  /**
   * Build the descent optimizer now, over these variables (e.g. `model.trainableWeights`'s
   * `.read()`s, or your `tf.Variable`s), so schedulers can be attached before training. Without
   * it the optimizer is built at the first step, over the variables that have gradients.
   */
  variables?: readonly tf.Variable[];
  /** Runs after the gradients are in place and before each step, e.g. `(params) => clipGradNorm(params, 1)`. */
  beforeStep?: (params: Tensor[]) => void;
}

interface Binding {
  readonly variable: tf.Variable;
  readonly param: Tensor;
}

export class DescentTfjsOptimizer<O extends OptimizerLike = OptimizerLike> extends tf.Optimizer {
  static readonly className = 'DescentOptimizer';
  readonly #factory: DescentOptimizerFactory<O>;
  readonly #beforeStep: ((params: Tensor[]) => void) | undefined;
  readonly #bindings = new Map<string, Binding>();
  #inner: O | null = null;

  constructor(factory: DescentOptimizerFactory<O>, { variables, beforeStep }: DescentOptimizerOptions = {}) {
    super();
    if (typeof factory !== 'function') throw new TypeError('descentOptimizer: the first argument must be a function (params) => optimizer, e.g. (p) => new optim.AdamW(p, { lr: 1e-3 })');
    if (beforeStep !== undefined && typeof beforeStep !== 'function') throw new TypeError('descentOptimizer: beforeStep must be a function');
    this.#factory = factory;
    this.#beforeStep = beforeStep;
    if (variables !== undefined) this.attach(variables);
  }

  /** The descent optimizer (for schedulers, param groups, clipping, state dicts); an error before it is built. */
  get optimizer(): O {
    if (this.#inner === null) throw new Error('descentOptimizer: the descent optimizer is built at the first step; pass { variables } to build it earlier');
    return this.#inner;
  }

  /** The descent tensors the optimizer updates, in variable order. */
  get params(): Tensor[] {
    return [...this.#bindings.values()].map((b) => b.param);
  }

  /** Builds the descent optimizer over `variables` (once). */
  attach(variables: readonly tf.Variable[]): O {
    if (this.#inner !== null) throw new Error('descentOptimizer: already built over its variables');
    if (!Array.isArray(variables) || variables.length === 0 || !variables.every((v) => v instanceof tf.Variable)) {
      throw new TypeError('descentOptimizer: variables must be a non-empty array of tf.Variable');
    }
    const bindings: Array<[string, Binding]> = [];
    for (const variable of variables) {
      if (bindings.some(([name]) => name === variable.name)) throw new RangeError(`descentOptimizer: variable '${variable.name}' is listed twice`);
      if (variable.dtype !== 'float32') throw new TypeError(`descentOptimizer: variable '${variable.name}' has dtype ${variable.dtype}; only float32 variables can be trained`);
      const param = new Tensor(Float32Array.from(variable.dataSync() as Float32Array), [...variable.shape], { requiresGrad: true });
      bindings.push([variable.name, { variable, param }]);
    }
    const inner = this.#factory(bindings.map(([name, b]) => [name, b.param]));
    if (inner === null || typeof inner !== 'object' || typeof inner.step !== 'function') throw new TypeError('descentOptimizer: the factory must return a descent optimizer');
    for (const [name, b] of bindings) this.#bindings.set(name, b);
    this.#inner = inner;
    return inner;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const entries: Array<[string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    if (this.#inner === null) {
      const registered = tf.engine().registeredVariables;
      this.attach(entries.map(([name]) => {
        const v = registered[name];
        if (v === undefined) throw new RangeError(`descentOptimizer: no variable named '${name}' is registered with TensorFlow.js`);
        return v;
      }));
    }
    // Every gradient is checked before anything is copied, so a refused step changes nothing.
    const updates: Array<[Binding, tf.Tensor]> = [];
    for (const [name, gradient] of entries) {
      const binding = this.#bindings.get(name);
      if (binding === undefined) {
        throw new RangeError(`descentOptimizer: variable '${name}' has a gradient but the optimizer was built over ${[...this.#bindings.keys()].map((n) => `'${n}'`).join(', ')}; build a new optimizer for a new set of variables`);
      }
      if (gradient === null || gradient === undefined) continue;
      if (gradient.size !== binding.param.data.length) throw new RangeError(`descentOptimizer: the gradient of '${name}' has ${gradient.size} values, the variable ${binding.param.data.length}`);
      updates.push([binding, gradient]);
    }
    for (const binding of this.#bindings.values()) binding.param.grad = null;
    for (const [{ variable, param }, gradient] of updates) {
      param.data.set(variable.dataSync() as Float32Array);
      // As backward leaves a gradient: copied once, into the optimizer's arena where it has one.
      param.accumulateGrad(new Tensor(gradient.dataSync() as Float32Array, param.shape));
    }
    this.#beforeStep?.(this.params);
    this.#inner!.step();
    // tf.tensor keeps the array it is given: hand it a copy, never descent's own storage.
    tf.tidy(() => {
      for (const [{ variable, param }] of updates) variable.assign(tf.tensor(param.data.slice(), variable.shape, 'float32'));
    });
    this.incrementIterations();
  }

  /** The descent optimizer's state dict (PyTorch's layout; parameters in variable order). */
  stateDict(): unknown {
    return this.optimizer.stateDict();
  }

  /** Loads a state dict from `stateDict()` (or from PyTorch, for the same variables in the same order). */
  loadStateDict(stateDict: unknown): void {
    this.optimizer.loadStateDict(stateDict as never);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { optimizer: this.#inner?.name ?? null };
  }

  static override fromConfig(): never {
    throw new Error('descentOptimizer: a model saved with a descent optimizer cannot rebuild it from its config (the factory is code); compile the loaded model with a new descentOptimizer and load its stateDict()');
  }
}

/**
 * A TensorFlow.js optimizer that runs a descent optimizer:
 *
 *   model.compile({ optimizer: descentOptimizer((p) => new optim.AdamW(p, { lr: 1e-3 })), loss: 'meanSquaredError' });
 */
export function descentOptimizer<O extends OptimizerLike>(factory: DescentOptimizerFactory<O>, options: DescentOptimizerOptions = {}): DescentTfjsOptimizer<O> {
  return new DescentTfjsOptimizer(factory, options);
}

/**
 * The optimizer base: PyTorch's `torch.optim.Optimizer` contract, with the maths left out.
 *
 * `Optimizer` owns param groups, lazy state, closures and `zeroGrad`; its options come from the
 * class's spec (spec.ts: defaults, what each option accepts, checked by options.ts), and its
 * state dict is PyTorch's JSON layout (state_dict.ts), checked completely before anything
 * changes. A subclass supplies `stateLayout(group)` (the keys of one parameter's state as
 * PyTorch names them, and their kinds) and `update()`, one step over every group.
 * `KernelOptimizer` (runner.ts) is the subclass for every optimizer whose step is an
 * elementwise kernel; LBFGS extends this class directly.
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import { SparseRows, type Gradient } from '../tensor/sparse.js';
import { shapeString } from '../tensor/shape.js';
import { enableGrad, noGrad } from '../autograd/engine.js';
import { definedEntries, rejectUnknownOptions, validateOptions } from './options.js';
import { copyJSON, readStateDict, writeStateDict, type OptimizerStateDict, type ParamState, type StateDictContext } from './state_dict.js';
import type { OptimizerSpec, StateLayout } from './spec.js';

export type { OptimizerStateDict, ParamState, StateValue, TensorJSON, StateJSONValue, ParamGroupJSON } from './state_dict.js';
export type { StateLayout, StateField, StateFieldKind } from './spec.js';

// ---------------------------------------------------------------------------------------------
// Types

/** One parameter group as the optimizer keeps it: live options (schedulers edit them) plus params. */
export type ParamGroup<O extends object> = O & {
  params: Tensor[];
  /** The parameters' names, when the optimizer was built from `namedParameters()`. */
  paramNames?: string[];
};

/** A group as the user passes it: `params` plus any option overrides. */
export type ParamGroupInput<O extends object> = Partial<O> & {
  params: Tensor | Iterable<Tensor> | ReadonlyArray<readonly [string, Tensor]>;
};

/** What an optimizer accepts: tensors, named tensors (`module.namedParameters()`), or param groups. */
export type ParamsInput<O extends object> =
  | Iterable<Tensor>
  | ReadonlyArray<readonly [string, Tensor]>
  | ReadonlyArray<ParamGroupInput<O>>;

export interface ZeroGradOptions {
  /** Drop gradients (`grad = null`) instead of filling them with zeros (default true, as PyTorch 2.x). */
  setToNone?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The state map

/**
 * `optimizer.state`: a Map that counts its changes, so that the fused path can keep the states
 * of a group in an array indexed like its arena and know when to read them again.
 */
export class StateMap<K, V> extends Map<K, V> {
  version = 0;

  override set(key: K, value: V): this {
    this.version++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }

  override clear(): void {
    this.version++;
    super.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// The base class

export abstract class Optimizer<O extends object = Record<string, unknown>, S extends ParamState = ParamState> {
  /** PyTorch's class name, or the paper's. */
  readonly name: string;
  /** Options every group starts from: the class defaults overridden by the constructor's options. */
  readonly defaults: Readonly<O>;
  /** Live groups: change `group.lr` (or any option) between steps and the next step uses it. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first step with a gradient. */
  readonly state: Map<Tensor, S> = new StateMap<Tensor, S>();

  protected readonly spec: OptimizerSpec<O>;
  /** Whether groups carry parameter names; every group must agree. */
  private named: boolean | null = null;

  /**
   * @param params tensors, `[name, tensor]` pairs, or param groups `[{ params, ...overrides }]`
   * @param spec the class's spec: its name, options table (an `undefined` default marks an option
   *   every group must set) and PyTorch's implementation keys
   * @param options the caller's options; `undefined` values count as absent
   */
  protected constructor(params: ParamsInput<O>, spec: OptimizerSpec<O>, options: Partial<O>) {
    this.spec = spec;
    this.name = spec.displayName;
    rejectUnknownOptions(this.name, spec.defaults, options, 'options');
    // Copies, so that editing one optimizer's `defaults.betas` edits neither the class's nor another's.
    const merged = { ...spec.defaults, ...definedEntries(options) } as Record<string, unknown>;
    // Checked before copied: a hostile value (an array nested 10⁵ deep) must not reach the copy.
    if (Object.values(merged).every((v) => v !== undefined)) this.validateOptions(merged as O);
    this.defaults = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, copyJSON(v)])) as O;

    const groups = normalizeParams<O>(params, this.name);
    for (const group of groups) this.addParamGroup(group);
  }

  // ---- what a subclass supplies ----

  /** The state entries one parameter of `group` has, by PyTorch's names. */
  protected abstract stateLayout(group: Readonly<O>): StateLayout;

  /** One step over every group, on the parameters that have gradients. */
  protected abstract update(): void;

  /** Throws, naming option and value, when an option is invalid (the spec's table and constraint). */
  protected validateOptions(options: Readonly<O>): void {
    validateOptions(this.name, this.spec.options, options, this.spec.constraint);
  }

  // ---- the public contract ----

  /**
   * One optimization step. With a closure (which zeroes gradients, computes the loss and calls
   * `backward`), the closure runs first with gradients enabled and its result is returned.
   */
  step<L extends Tensor | number | void = Tensor | number>(closure?: () => L): L | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    this.checkGradients();
    noGrad(this.runUpdate);
    return loss;
  }

  private readonly runUpdate = (): void => this.update();

  /** Clears every parameter's gradient: drops it (default) or fills it with zeros. */
  zeroGrad({ setToNone = true }: ZeroGradOptions = {}): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else if (p.grad instanceof SparseRows) p.grad = emptyRows(p.grad);
        else p.grad.data.fill(0);
      }
    }
  }

  /** Adds a group (a fine-tuned layer, an unfrozen block); options not given come from `defaults`. */
  addParamGroup(input: ParamGroupInput<O>): void {
    if (input === null || typeof input !== 'object' || !('params' in input)) {
      throw new TypeError(`${this.name}: a param group must be an object with a 'params' field`);
    }
    const { params: rawParams, paramNames: rawNames, ...overrides } = input as ParamGroupInput<O> & { paramNames?: unknown };
    const where = `param group ${this.paramGroups.length}`;
    rejectUnknownOptions(this.name, this.spec.defaults, overrides, where);
    const { params, names } = normalizeGroupParams(rawParams, this.name, where);
    if (rawNames !== undefined) throw new TypeError(`${this.name}: ${where}: pass names as [name, tensor] pairs in 'params', not as 'paramNames'`);

    const isNamed = names !== null;
    if (this.named !== null && this.named !== isNamed) {
      throw new TypeError(`${this.name}: all param groups must be named ([name, tensor] pairs) or all unnamed; ${where} is ${isNamed ? 'named' : 'unnamed'} and the others are not`);
    }
    const accepts = this.spec.acceptsParam;
    if (accepts !== undefined) {
      params.forEach((p, i) => {
        const problem = accepts(p.shape);
        if (problem !== null) throw new TypeError(`${this.name}: ${where}'s parameter ${i}${names ? ` ('${names[i]}')` : ''}: ${problem}`);
      });
    }
    params.forEach((p, i) => {
      // PyTorch's rule: a step writes into the tensor itself, which a result of recorded ops is not.
      if (!p.isLeaf) throw new Error(`${this.name}: can't optimize a non-leaf Tensor: ${where}'s parameter ${i}${names ? ` ('${names[i]}')` : ''} was computed by recorded ops; optimize the leaf it comes from, or pass its detach()`);
    });
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (seen.has(p)) throw new Error(`${this.name}: ${where} lists the parameter at position ${i}${names ? ` ('${names[i]}')` : ''} twice`);
      seen.add(p);
    });
    for (const [g, other] of this.paramGroups.entries()) {
      for (const p of other.params) {
        if (seen.has(p)) {
          throw new Error(`${this.name}: some parameters appear in more than one parameter group (param group ${g} and ${where})`);
        }
      }
    }
    if (names !== null) {
      const taken = new Set<string>();
      for (const n of names) {
        if (taken.has(n)) throw new Error(`${this.name}: ${where} has two parameters named '${n}'`);
        taken.add(n);
      }
    }

    const options = { ...definedEntries(overrides as Partial<O>) } as Record<string, unknown>;
    for (const [key, value] of Object.entries(this.defaults)) {
      if (options[key] !== undefined) continue;
      if (value === undefined) {
        throw new Error(`${this.name}: ${key} is required (it has no default): pass it in the options or in every param group; ${where} has none`);
      }
      options[key] = Array.isArray(value) ? [...value] : value;
    }
    this.validateOptions(options as O);

    const group = { ...options, params } as ParamGroup<O>;
    if (names !== null) group.paramNames = names;
    this.named = isNamed;
    this.paramGroups.push(group);
  }

  /** PyTorch's `state_dict()`, as plain JSON data (copies, not views of the live state). */
  stateDict(): OptimizerStateDict {
    return writeStateDict(this.stateDictContext());
  }

  /**
   * Restores a state dict from `stateDict()` (or PyTorch's, as JSON). Everything is checked first
   * (group count, option keys of this optimizer, parameter counts, names, every state entry's
   * key and shape, option values); on any error nothing has changed.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const checked = readStateDict(this.stateDictContext(), stateDict);
    // Nothing below can throw: swap in the checked groups and state.
    this.paramGroups.forEach((group, g) => {
      const live = group as Record<string, unknown>;
      for (const key of Object.keys(live)) if (key !== 'params' && key !== 'paramNames') delete live[key];
      Object.assign(live, checked.options[g]);
    });
    this.state.clear();
    for (const [p, s] of checked.state) this.state.set(p, s);
  }

  private stateDictContext(): StateDictContext<S> {
    return {
      name: this.name,
      groups: this.paramGroups as unknown as StateDictContext<S>['groups'],
      state: this.state,
      options: this.spec.options,
      torchGroupKeys: this.spec.torchGroupKeys ?? {},
      legacyTorchGroupKeys: this.spec.legacyTorchGroupKeys ?? [],
      layout: (options) => this.stateLayout(options as unknown as O),
      validate: (options) => this.validateOptions(options as unknown as O),
    };
  }

  // ---- helpers for subclasses ----

  /**
   * Checks every gradient before any parameter changes, so a bad one (a sparse gradient where
   * only dense ones work, a wrong size) leaves the whole model as it was. `step()` calls it.
   */
  protected checkGradients(): void {
    for (const group of this.paramGroups) this.checkGroupGradients(group);
  }

  /** `checkGradients` for one group. */
  protected checkGroupGradients(group: ParamGroup<O>): void {
    for (const p of group.params) {
      const grad = p.grad;
      if (grad !== null) this.checkParamGradient(group, p, grad);
    }
  }

  /** Throws when `grad` cannot be used for `param` this step, naming the problem. */
  protected checkParamGradient(group: ParamGroup<O>, p: Tensor, grad: Gradient): void {
    // A dense gradient whose data was swapped for an array of another length would make
    // one path throw midway and the other write NaN: refuse it before anything moves.
    if (!grad.isSparse && grad.data.length !== p.data.length) {
      throw new RangeError(`${this.name}: a gradient holds ${grad.data.length} values for a parameter of ${p.data.length} (shape ${shapeString(p.shape)})`);
    }
    this.checkGradient(group, p, grad);
  }

  /**
   * Dense gradients only; override to accept row-sparse ones. Shapes need no check here: the
   * `grad` setter refuses a gradient whose shape is not its parameter's, as PyTorch does.
   */
  protected checkGradient(_group: Readonly<ParamGroup<O>>, _param: Tensor, grad: Gradient): void {
    if (grad.isSparse) {
      throw new TypeError(`${this.name} does not support sparse gradients${this.sparseHint()}`);
    }
  }

  /** Appended to the sparse-gradient error (Adam suggests SparseAdam, as PyTorch does). */
  protected sparseHint(): string {
    return '';
  }

  /** A zero-filled tensor like `param` (same shape and dtype), for fresh state. */
  protected zerosLike(param: Tensor, fill = 0): Tensor {
    const data = allocate(param.data.length, param.dtype);
    if (fill !== 0) data.fill(fill);
    return new Tensor(data, [...param.shape]);
  }

}

// ---------------------------------------------------------------------------------------------
// Param normalization

function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

function isNamedPair(x: unknown): x is readonly [string, Tensor] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && isTensor(x[1]);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}

function normalizeParams<O extends object>(params: ParamsInput<O>, name: string): ParamGroupInput<O>[] {
  if (isTensor(params)) {
    throw new TypeError(`${name}: params should be an iterable of Tensors, but got a single Tensor; wrap it in an array`);
  }
  if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
    throw new TypeError(`${name}: params must be an iterable of Tensors, [name, tensor] pairs, or param groups; got ${describe(params)}`);
  }
  const items = Array.from(params as Iterable<unknown>);
  if (items.length === 0) throw new Error(`${name}: optimizer got an empty parameter list`);
  const isGroup = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x) && !isTensor(x) && 'params' in x;
  if (items.every(isGroup)) return items as ParamGroupInput<O>[];
  if (items.some(isGroup)) throw new TypeError(`${name}: params mixes param groups with tensors; pass either all groups or no groups`);
  return [{ params: items } as unknown as ParamGroupInput<O>];
}

function normalizeGroupParams(raw: unknown, name: string, where: string): { params: Tensor[]; names: string[] | null } {
  if (isTensor(raw)) return { params: [raw], names: null };
  if (raw === null || typeof raw !== 'object' || !(Symbol.iterator in raw)) {
    throw new TypeError(`${name}: ${where}: 'params' must be a Tensor, an iterable of Tensors or of [name, tensor] pairs; got ${describe(raw)}`);
  }
  const items = Array.from(raw as Iterable<unknown>);
  if (items.length === 0) throw new Error(`${name}: ${where} has an empty parameter list`);
  if (items.every(isNamedPair)) {
    return { params: items.map((pair) => pair[1]), names: items.map((pair) => pair[0]) };
  }
  items.forEach((x, i) => {
    if (!isTensor(x)) {
      throw new TypeError(`${name}: optimizer can only optimize Tensors, but ${where}'s parameter ${i} is ${describe(x)}${isNamedPair(x) || Array.isArray(x) ? ' (mixing named and unnamed parameters?)' : ''}`);
    }
  });
  return { params: items as Tensor[], names: null };
}

/** A gradient must have its parameter's shape (a row-sparse one: its dense shape). */
export function checkGradientShape(optimizer: string, param: Tensor, grad: Gradient): void {
  const shape = grad.shape;
  if (shape !== param.shape && !sameShape(shape, param.shape)) {
    throw new RangeError(`${optimizer}: a gradient of shape ${shapeString(shape)} does not match its parameter of shape ${shapeString(param.shape)}`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function emptyRows(g: SparseRows): SparseRows {
  const rowShape = g.shape.slice(1);
  return new SparseRows(new Int32Array(0), new Tensor(allocate(0, g.values.dtype), [0, ...rowShape]), g.shape);
}


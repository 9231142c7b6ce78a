/**
 * The optimizer base: PyTorch's `torch.optim.Optimizer` contract, with the maths left out.
 *
 * `Optimizer` owns param groups, lazy state, closures, `zeroGrad`, and the state dict in PyTorch's
 * JSON layout: `{ state: { "<index>": { step, exp_avg, ... } }, param_groups: [{ lr, ..., params: [indices] }] }`
 * with tensors as `{ shape, data }`, snake_case keys, and `param_names` when the optimizer was built from
 * named parameters (PyTorch ≥ 2.6 writes them too). `loadStateDict` checks everything before it
 * changes anything, and matches parameters by name when both sides have names. A subclass supplies
 * its defaults and `validateOptions` (PyTorch's checks, messages naming option and value),
 * `stateLayout(group)` (the keys of one parameter's state as PyTorch names them, and their kinds),
 * `updateGroup(group)` (or `update()` when a step needs every group at once), and a description:
 * PyTorch's class name and the group keys PyTorch 1.13 writes that mean nothing here (`foreach`,
 * `capturable`, ...), so `stateDict()` has PyTorch's exact layout.
 *
 * `KernelOptimizer` is the base of every optimizer whose step is an elementwise kernel (all but
 * LBFGS). It owns `updateGroup` and runs each step on one of two paths, chosen per group and step
 * by `kernelBackend()`:
 *  - the plain path: the TypeScript kernel of src/optim/kernels, once per parameter, over the
 *    parameter's own arrays. It is the reference, and the fallback where WebAssembly SIMD is
 *    missing, for float64 parameters, and when a group's arena cannot be allocated.
 *  - the fused path: on a group's first step its parameters move into one `ParamArena` (a fixed
 *    `WebAssembly.Memory`, see docs/ARCHITECTURE.md) and every state tensor becomes a view into
 *    it, so one WebAssembly SIMD call updates every parameter of the group that has a dense
 *    gradient, in place; a row-sparse gradient is coalesced into the arena and takes a call of
 *    its own. A step allocates nothing once the arena is built.
 * Both paths share the bookkeeping (which parameters have gradients, lazy state, step counts), and
 * the per-step numbers (bias corrections, ...), which src/optim/kernels/scalars.ts computes once
 * per run: the parameters whose states agree (normally all of them). A subclass supplies the
 * state of a new parameter (`initState`), this step's bookkeeping (`advanceState`), the arrays its
 * fused kernel keeps per parameter (`fusedArrays`), and `updateRun`: one kernel call per path.
 *
 * Live state keeps counters and scalars as numbers (the maths reads them every step); the layout says
 * which of them PyTorch stores as 0-d tensors, and the state dict writes them that way. On the fused
 * path a state tensor's `data` is a view of the arena: change values in place (`.data.set(...)`),
 * or load a state dict, whose tensors are copied into the arena on the next step. A tensor put in
 * a state entry's place is seen once the entry is set again (`optimizer.state.set(p, state)`): the
 * fused path reads states again only when `optimizer.state` changes.
 */
import { Tensor, allocate, type FloatArray } from '../tensor/tensor.js';
import { SparseRows, type Gradient } from '../tensor/sparse.js';
import { numel, shapeString } from '../tensor/shape.js';
import { enableGrad, noGrad } from '../autograd/engine.js';
import { kernelBackend } from '../wasm/backend.js';
import { ParamArena, type StagedRows } from './wasm/arena.js';
import { gradSumOfSquares } from './wasm/fused.js';
import { kernels } from './kernels/index.js';

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

/** A value in one parameter's live state. */
export type StateValue = number | boolean | string | null | Tensor | readonly StateValue[];

/** One parameter's live state, keyed by PyTorch's names (`exp_avg`, `momentum_buffer`, ...); `undefined` entries are absent. */
export type ParamState = Record<string, StateValue | undefined>;

/**
 * How one state entry is kept here and written in the state dict.
 *  - `count`: an integer counter, a JSON number (RMSprop's `step`)
 *  - `count0d`: an integer counter PyTorch keeps as a 0-d tensor (Adam's `step`)
 *  - `number`: a real number, a JSON number
 *  - `number0d`: a real number PyTorch keeps as a 0-d tensor (NAdam's `mu_product`)
 *  - `param`: a tensor of the parameter's shape and dtype (`exp_avg`)
 *  - `tensor`: a tensor of any shape (LBFGS's flat direction)
 *  - `tensorList`: a list of tensors; `number0dList`: numbers written as a list of 0-d tensors
 * Counters and numbers live as JS numbers; when loading, a number or a 0-d tensor is accepted for them.
 */
export type StateFieldKind = 'count' | 'count0d' | 'number' | 'number0d' | 'param' | 'tensor' | 'tensorList' | 'number0dList';

export interface StateField {
  kind: StateFieldKind;
  /** Absent entries are an error when loading (default true). */
  required?: boolean;
  /** `null` is a valid value (SGD's `momentum_buffer` without momentum). */
  nullable?: boolean;
}

export type StateLayout = Readonly<Record<string, StateField>>;

/** A tensor in a state dict: row-major values and a shape. */
export interface TensorJSON {
  shape: number[];
  data: number[];
}

export type StateJSONValue = number | boolean | string | null | TensorJSON | StateJSONValue[];

export interface ParamGroupJSON {
  params: number[];
  param_names?: string[];
  [option: string]: unknown;
}

/** `optimizer.stateDict()`: PyTorch's layout, JSON-serializable as is. */
export interface OptimizerStateDict {
  state: Record<string, Record<string, StateJSONValue>>;
  param_groups: ParamGroupJSON[];
}

/** What a subclass tells the base about itself. */
export interface OptimizerDescription {
  /** PyTorch's class name (`Adam`), or the paper's (`LAMB`): prefixes every error message. */
  name: string;
  /**
   * Group keys PyTorch 1.13 writes for this class that select implementations (`foreach`,
   * `capturable`, `differentiable`, `fused`), with the values it writes. They appear in
   * `stateDict()` so the layout is PyTorch's, are required by `loadStateDict` (they tell an
   * `Adam` state dict from an `AdamW` one), and change nothing here.
   */
  torchOnlyGroupKeys?: Readonly<Record<string, unknown>>;
}

/** PyTorch's implementation-selection keys; a state dict carrying one this class lacks is another class's. */
const TORCH_IMPLEMENTATION_KEYS = new Set(['foreach', 'capturable', 'differentiable', 'fused']);

export interface ZeroGradOptions {
  /** Drop gradients (`grad = null`) instead of filling them with zeros (default true, as PyTorch 2.x). */
  setToNone?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Option checks shared by every optimizer (PyTorch's messages, with descent's option names)

/** Throws `<Optimizer>: Invalid <what>: <value>` unless `ok`. */
export function requireOption(ok: boolean, optimizer: string, what: string, value: unknown): void {
  if (!ok) throw new RangeError(`${optimizer}: Invalid ${what}: ${formatValue(value)}`);
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && !Number.isNaN(x);
}

/** `lr ≥ 0` (PyTorch: `Invalid learning rate: -1`). */
export function checkLearningRate(optimizer: string, lr: unknown): void {
  requireOption(isNumber(lr) && lr >= 0 && lr !== Infinity, optimizer, 'learning rate', lr);
}

/** `value ≥ 0` and finite (`Invalid weightDecay value: -0.1`). */
export function checkNonNegative(optimizer: string, option: string, value: unknown): void {
  requireOption(isNumber(value) && value >= 0 && value !== Infinity, optimizer, `${option} value`, value);
}

/** `lo ≤ value ≤ hi` (or `<` at an open end). */
export function checkInRange(optimizer: string, option: string, value: unknown, lo: number, hi: number, { hiOpen = false } = {}): void {
  requireOption(isNumber(value) && value >= lo && (hiOpen ? value < hi : value <= hi), optimizer, `${option} value`, value);
}

/** `betas` is a pair in [0, 1) (`Invalid beta parameter at index 0: 1.5`). */
export function checkBetas(optimizer: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new RangeError(`${optimizer}: Invalid betas value: ${formatValue(betas)} (expected a pair [beta1, beta2])`);
  }
  for (let i = 0; i < 2; i++) {
    const b = betas[i] as unknown;
    requireOption(isNumber(b) && b >= 0 && b < 1, optimizer, `beta parameter at index ${i}`, b);
  }
}

export function checkBoolean(optimizer: string, option: string, value: unknown): void {
  requireOption(typeof value === 'boolean', optimizer, `${option} value`, value);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Key names: camelCase options here, PyTorch's snake_case in state dicts

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// The state map

/**
 * `optimizer.state`: a Map that counts its changes, so that the fused path can keep the states
 * of a group in an array indexed like its arena and know when to read them again.
 */
class StateMap<K, V> extends Map<K, V> {
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

  private readonly classDefaults: Readonly<O>;
  private readonly torchOnlyGroupKeys: Readonly<Record<string, unknown>>;
  /** Whether groups carry parameter names; every group must agree. */
  private named: boolean | null = null;

  /**
   * @param params tensors, `[name, tensor]` pairs, or param groups `[{ params, ...overrides }]`
   * @param classDefaults the class's defaults (PyTorch's); `undefined` marks an option with no default
   *   (SGD's `lr`) that every group must then set
   * @param options the caller's options; `undefined` values count as absent
   */
  protected constructor(params: ParamsInput<O>, classDefaults: O, options: Partial<O>, description: OptimizerDescription) {
    this.name = description.name;
    this.torchOnlyGroupKeys = description.torchOnlyGroupKeys ?? {};
    this.classDefaults = classDefaults;
    this.rejectUnknownOptions(options, 'options');
    // Copies, so that editing one optimizer's `defaults.betas` edits neither the class's nor another's.
    const merged = { ...classDefaults, ...definedEntries(options) } as Record<string, unknown>;
    this.defaults = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, copyJSON(v)])) as O;
    if (Object.values(this.defaults).every((v) => v !== undefined)) this.validateOptions(this.defaults);

    const groups = normalizeParams<O>(params, this.name);
    for (const group of groups) this.addParamGroup(group);
  }

  // ---- what a subclass supplies ----

  /** Throws, naming option and value, when an option is invalid. */
  protected abstract validateOptions(options: Readonly<O>): void;

  /** The state entries one parameter of `group` has, by PyTorch's names. */
  protected abstract stateLayout(group: Readonly<ParamGroup<O>>): StateLayout;

  /** Applies one step to the parameters of one group that have gradients. */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** One step over every group; override when the step needs all groups at once. */
  protected update(): void {
    for (const group of this.paramGroups) this.updateGroup(group);
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
    this.rejectUnknownOptions(overrides as Partial<O>, where);
    const { params, names } = normalizeGroupParams(rawParams, this.name, where);
    if (rawNames !== undefined) throw new TypeError(`${this.name}: ${where}: pass names as [name, tensor] pairs in 'params', not as 'paramNames'`);

    const isNamed = names !== null;
    if (this.named !== null && this.named !== isNamed) {
      throw new TypeError(`${this.name}: all param groups must be named ([name, tensor] pairs) or all unnamed; ${where} is ${isNamed ? 'named' : 'unnamed'} and the others are not`);
    }
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
    const state: OptimizerStateDict['state'] = {};
    const groups: ParamGroupJSON[] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const layout = this.stateLayout(group);
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(group)) {
        if (key === 'params' || key === 'paramNames') continue;
        out[snakeCase(key)] = copyJSON(value);
      }
      for (const [key, value] of Object.entries(this.torchOnlyGroupKeys)) if (!(key in out)) out[key] = value;
      const indices: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s !== undefined) state[String(index)] = serializeState(s, layout);
        indices.push(index++);
      }
      out.params = indices;
      if (group.paramNames) out.param_names = [...group.paramNames];
      groups.push(out as ParamGroupJSON);
    }
    return { state, param_groups: groups };
  }

  /**
   * Restores a state dict from `stateDict()` (or PyTorch's, as JSON). Everything is checked first
   * (group count, option keys of this optimizer, parameter counts, names, every state entry's
   * key and shape, option values); on any error nothing has changed.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const fail = (msg: string): never => {
      throw new Error(`${this.name}.loadStateDict: ${msg}`);
    };
    if (stateDict === null || typeof stateDict !== 'object') fail('expected an object { state, param_groups }');
    const { state, param_groups: savedGroups } = stateDict;
    if (!Array.isArray(savedGroups)) fail(`'param_groups' must be an array`);
    if (state === null || typeof state !== 'object' || Array.isArray(state)) fail(`'state' must be an object keyed by parameter index`);
    if (savedGroups.length !== this.paramGroups.length) {
      fail(`the state dict has ${savedGroups.length} param group(s), this optimizer has ${this.paramGroups.length}`);
    }

    const optionKeys = Object.keys(this.classDefaults).map(snakeCase);
    const torchKeys = Object.keys(this.torchOnlyGroupKeys);
    const byIndex = new Map<number, { param: Tensor; label: string; group: number }>();
    const newOptions: Record<string, unknown>[] = [];

    savedGroups.forEach((saved, g) => {
      const where = `param_groups[${g}]`;
      if (saved === null || typeof saved !== 'object') fail(`${where} must be an object`);
      const ours = this.paramGroups[g]!;
      const keys = Object.keys(saved);
      const missing = [...optionKeys, ...torchKeys, 'params'].filter((k) => !keys.includes(k));
      const foreign = keys.filter((k) => TORCH_IMPLEMENTATION_KEYS.has(k) && !torchKeys.includes(k));
      if (missing.length > 0 || foreign.length > 0) {
        fail(
          `${where} is not a ${this.name} param group (` +
            [missing.length ? `missing ${missing.map((k) => `'${k}'`).join(', ')}` : '', foreign.length ? `unexpected ${foreign.map((k) => `'${k}'`).join(', ')}` : '']
              .filter(Boolean)
              .join('; ') +
            `): is it another optimizer's state dict?`,
        );
      }
      const ids = saved.params;
      if (!Array.isArray(ids) || !ids.every((i) => Number.isInteger(i))) fail(`${where}.params must be an array of integer indices`);
      if (ids.length !== ours.params.length) {
        fail(`${where} has ${ids.length} parameter(s), this optimizer's group ${g} has ${ours.params.length}`);
      }

      const savedNames = saved.param_names;
      let order: Tensor[] = ours.params;
      let labels: string[] = ours.params.map((_, j) => ours.paramNames?.[j] ?? `parameter ${j} of group ${g}`);
      if (savedNames !== undefined && ours.paramNames) {
        if (!Array.isArray(savedNames) || savedNames.length !== ids.length || !savedNames.every((n) => typeof n === 'string')) {
          fail(`${where}.param_names must list one name per parameter`);
        }
        const ourIndex = new Map(ours.paramNames.map((n, j) => [n, j] as const));
        const absent = savedNames.filter((n) => !ourIndex.has(n));
        const extra = ours.paramNames.filter((n) => !savedNames.includes(n));
        if (absent.length > 0 || extra.length > 0 || new Set(savedNames).size !== savedNames.length) {
          fail(
            `${where} names do not match this optimizer's group ${g}` +
              (absent.length ? `; not here: ${absent.map((n) => `'${n}'`).join(', ')}` : '') +
              (extra.length ? `; not in the state dict: ${extra.map((n) => `'${n}'`).join(', ')}` : '') +
              (new Set(savedNames).size !== savedNames.length ? '; a name repeats' : ''),
          );
        }
        order = savedNames.map((n) => ours.params[ourIndex.get(n)!]!);
        labels = savedNames.map((n) => `'${n}'`);
      }
      ids.forEach((id, j) => {
        if (byIndex.has(id)) fail(`parameter index ${id} appears twice in param_groups`);
        byIndex.set(id, { param: order[j]!, label: labels[j]!, group: g });
      });

      const options: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(saved)) {
        if (key === 'params' || key === 'param_names' || torchKeys.includes(key)) continue;
        options[camelCase(key)] = copyJSON(value);
      }
      try {
        this.validateOptions(options as O);
      } catch (e) {
        fail(`${where}: ${(e as Error).message}`);
      }
      newOptions.push(options);
    });

    const newState = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(state)) {
      const id = Number(key);
      const target = byIndex.get(id);
      if (!Number.isInteger(id) || target === undefined) fail(`state '${key}' belongs to no parameter listed in param_groups`);
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`state['${key}'] must be an object`);
      const { param, label, group } = target!;
      const layout = this.stateLayout({ ...newOptions[group], params: this.paramGroups[group]!.params } as unknown as ParamGroup<O>);
      try {
        newState.set(param, deserializeState(entry, layout, param) as S);
      } catch (e) {
        fail(`state['${key}'] (${label}): ${(e as Error).message}`);
      }
    }

    // Nothing below can throw: swap in the checked groups and state.
    this.paramGroups.forEach((group, g) => {
      const live = group as Record<string, unknown>;
      for (const key of Object.keys(live)) if (key !== 'params' && key !== 'paramNames') delete live[key];
      Object.assign(live, newOptions[g]);
    });
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }

  // ---- helpers for subclasses ----

  /**
   * Checks every gradient before any parameter changes, so a bad one (a sparse gradient where
   * only dense ones work, a wrong size) leaves the whole model as it was. `step()` calls it.
   */
  protected checkGradients(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad !== null) this.checkGradient(group, p, grad);
      }
    }
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

  private rejectUnknownOptions(options: Partial<O>, where: string): void {
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.name}: ${where} must be an object`);
    for (const key of Object.keys(options)) {
      if (!(key in this.classDefaults)) {
        const known = Object.keys(this.classDefaults).join(', ');
        throw new TypeError(`${this.name}: unknown option '${key}' in ${where} (known: ${known})`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers whose step is an elementwise kernel: the plain path and the fused path

/**
 * Parameters of one group that take one kernel call this step: they have a gradient, and their
 * states agree (`sameRun`: the same step count, ...), so `states[0]` stands for all of them in
 * the per-step numbers. The lists are reused from step to step.
 */
export interface Run<S> {
  /** The group's arena on the fused path; null on the plain path. */
  arena: ParamArena | null;
  /** Positions in `group.params`, ascending: the params' indices in the arena. */
  readonly indices: number[];
  readonly params: Tensor[];
  readonly grads: Gradient[];
  readonly states: S[];
  /** Fused path, a row-sparse gradient: its rows, coalesced into the arena (a run of one parameter). */
  rows: StagedRows | null;
}

function emptyRun<S>(arena: ParamArena | null): Run<S> {
  return { arena, indices: [], params: [], grads: [], states: [], rows: null };
}

/** Writes entry k of a run in place: the lists keep their storage from step to step. */
function setInRun<S>(run: Run<S>, k: number, index: number, param: Tensor, grad: Gradient, state: S): void {
  run.indices[k] = index;
  run.params[k] = param;
  run.grads[k] = grad;
  run.states[k] = state;
}

/** Cuts a run's lists to `n` entries (a no-op when the step has as many as the last one). */
function fitRun<S>(run: Run<S>, n: number): void {
  if (run.indices.length === n) return;
  run.indices.length = n;
  run.params.length = n;
  run.grads.length = n;
  run.states.length = n;
}

/**
 * A group's arena, with what it was built for (`arena` is null where the group cannot be
 * fused), and the group's states indexed like its params: read again from `optimizer.state`
 * whenever that map changed, and bound into the arena (`bindState`) once per state object
 * after that. Touching no state tensor in the steady state keeps a step's JavaScript at a few
 * loads per parameter.
 */
interface GroupArena<S> {
  arena: ParamArena | null;
  params: readonly Tensor[];
  arrays: readonly string[];
  states: Array<S | undefined>;
  bound: Uint8Array;
  /** The state map's version the states were read at. */
  version: number;
}

/** A group on the fused path. */
type FusedGroup<S> = GroupArena<S> & { arena: ParamArena };

export abstract class KernelOptimizer<O extends object = Record<string, unknown>, S extends ParamState = ParamState> extends Optimizer<O, S> {
  private readonly arenas = new WeakMap<ParamGroup<O>, GroupArena<S>>();
  /** This step's params with gradients in one group (on the fused path, the dense ones). */
  private readonly batch: Run<S> = emptyRun(null);
  /** Fused path: this step's params with row-sparse gradients, which take a call each. */
  private readonly rowsBatch: Run<S> = emptyRun(null);
  /** Runs of a batch whose states disagree, and how many params each holds (reused). */
  private readonly runs: Run<S>[] = [];
  private readonly runSizes: number[] = [];
  /** Fused path: one row-sparse gradient's run. */
  private readonly single: Run<S> = emptyRun(null);
  private readonly withGrads: number[] = [];

  // ---- what a subclass supplies ----

  /** A parameter's state before its first step (tensors from `zerosLike`). */
  protected abstract initState(group: Readonly<ParamGroup<O>>, param: Tensor): S;

  /**
   * This step's bookkeeping of a parameter's state, before any update of the step: `step += 1`,
   * buffers an option needs since a live change. Both paths run it.
   */
  protected advanceState(_group: Readonly<ParamGroup<O>>, _param: Tensor, _state: S): void {}

  /**
   * The arrays the fused kernel keeps per parameter of `group` (`fusedStateArrays`: the same
   * frozen array for the same configuration), or null for no fused path.
   */
  protected fusedArrays(_group: Readonly<ParamGroup<O>>): readonly string[] | null {
    return null;
  }

  /** Whether two parameters can share a kernel call (their per-step numbers agree): by default, the same `step`. */
  protected sameRun(a: S, b: S): boolean {
    return a.step === b.step;
  }

  /** One kernel call per path: the fused kernel over `run.arena`, or the plain one per parameter. */
  protected abstract updateRun(group: ParamGroup<O>, run: Run<S>): void;

  // ---- the step ----

  protected updateGroup(group: ParamGroup<O>): void {
    const fused = this.fusedGroup(group);
    const states = this.state as StateMap<Tensor, S>;
    if (fused !== null && fused.version !== states.version) this.readStates(group, fused);
    const { batch, rowsBatch } = this;
    batch.arena = rowsBatch.arena = fused === null ? null : fused.arena;
    let n = 0;
    let rows = 0;
    let together = true;
    const params = group.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const grad = p.grad;
      if (grad === null) continue;
      let state = fused === null ? states.get(p) : fused.states[i];
      if (state === undefined) {
        state = this.initState(group, p);
        const known = fused !== null && fused.version === states.version;
        states.set(p, state);
        if (fused !== null) {
          fused.states[i] = state;
          if (known) fused.version = states.version;
        }
      }
      this.advanceState(group, p, state);
      if (fused !== null) {
        const arena = fused.arena;
        if (p.data !== arena.paramView(i)) arena.syncParam(i);
        // Once per state object: fresh state, or states read again after the map changed.
        if (fused.bound[i] === 0) {
          arena.bindState(i, state);
          fused.bound[i] = 1;
        }
        if (grad.isSparse) {
          setInRun(rowsBatch, rows++, i, p, grad, state);
          continue;
        }
        if (grad.data !== arena.gradView(i)) arena.stageGrad(i);
      }
      if (n > 0 && together) together = this.sameRun(batch.states[0]!, state);
      setInRun(batch, n++, i, p, grad, state);
    }
    fitRun(batch, n);
    fitRun(rowsBatch, rows);
    if (n > 0) {
      if (together) this.updateRun(group, batch);
      else this.updateRuns(group, batch);
    }
    for (let k = 0; k < rows; k++) this.updateRows(group, rowsBatch, k);
    // Hold nothing past the step that the step does not own: the plain path's gradients (fresh
    // arrays each backward, which would otherwise stay alive until the next step), the arena.
    if (batch.arena === null) batch.grads.fill(null as unknown as Gradient);
    batch.arena = rowsBatch.arena = null;
  }

  /** The group's states from `optimizer.state` again (it changed), none bound into the arena yet. */
  private readStates(group: ParamGroup<O>, fused: FusedGroup<S>): void {
    group.params.forEach((p, i) => (fused.states[i] = this.state.get(p)));
    fused.bound.fill(0);
    fused.version = (this.state as StateMap<Tensor, S>).version;
  }

  /** Σ‖g‖² over the group's gradients (LAMB's global clip), on the path the step will take. */
  protected gradSumOfSquares(group: ParamGroup<O>): number {
    const arena = this.fusedGroup(group)?.arena;
    let total = 0;
    if (arena === undefined) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad !== null && !grad.isSparse) total += kernels.sumOfSquares(grad.data, grad.data.length);
      }
      return total;
    }
    const indices = this.withGrads;
    let n = 0;
    for (let i = 0; i < group.params.length; i++) {
      const grad = group.params[i]!.grad;
      if (grad === null || grad.isSparse) continue;
      arena.stageGrad(i);
      indices[n++] = i;
    }
    // Cut only when the count changed: a truncation gives up the list's storage.
    if (indices.length !== n) indices.length = n;
    return n === 0 ? 0 : gradSumOfSquares(arena, indices);
  }

  /**
   * Parameters whose states disagree (some missed steps): one call per run of agreeing ones.
   * The runs are kept from step to step, so a partition that repeats allocates nothing.
   */
  private updateRuns(group: ParamGroup<O>, batch: Run<S>): void {
    const { runs, runSizes } = this;
    let count = 0;
    for (let k = 0; k < batch.states.length; k++) {
      const state = batch.states[k]!;
      let r = 0;
      while (r < count && !this.sameRun(runs[r]!.states[0]!, state)) r++;
      if (r === count) {
        if (count === runs.length) runs.push(emptyRun(null));
        runs[r]!.arena = batch.arena;
        runSizes[r] = 0;
        count++;
      }
      setInRun(runs[r]!, runSizes[r]!++, batch.indices[k]!, batch.params[k]!, batch.grads[k]!, state);
    }
    for (let r = 0; r < count; r++) {
      const run = runs[r]!;
      fitRun(run, runSizes[r]!);
      this.updateRun(group, run);
      if (run.arena === null) run.grads.fill(null as unknown as Gradient);
      run.arena = null;
    }
  }

  /** Fused path: the k-th row-sparse gradient, coalesced into the arena, as a run of its own. */
  private updateRows(group: ParamGroup<O>, rowsBatch: Run<S>, k: number): void {
    const run = this.single;
    setInRun(run, 0, rowsBatch.indices[k]!, rowsBatch.params[k]!, rowsBatch.grads[k]!, rowsBatch.states[k]!);
    fitRun(run, 1);
    run.arena = rowsBatch.arena;
    // Staged just before its call: every run shares the arena's row scratch.
    run.rows = run.arena!.stageRows(run.indices[0]!, run.grads[0] as SparseRows);
    this.updateRun(group, run);
    run.rows = null;
    run.arena = null;
  }

  /**
   * The group's arena record when the fused path runs this step: the backend is WebAssembly,
   * the optimizer has a fused kernel for the group's options, and the group's params are
   * float32. Built on the group's first fused step, and built again when its params or its
   * arrays change (an option turned on live); its arena is null (the plain path) where one
   * cannot be allocated. Null on the plain path.
   */
  private fusedGroup(group: ParamGroup<O>): FusedGroup<S> | null {
    if (kernelBackend() !== 'wasm') return null;
    const arrays = this.fusedArrays(group);
    if (arrays === null) return null;
    let built = this.arenas.get(group);
    if (built === undefined || built.arrays !== arrays || !sameTensors(built.params, group.params)) {
      const params = [...group.params];
      built = { arena: buildArena(params, arrays), params, arrays, states: [], bound: new Uint8Array(params.length), version: -1 };
      this.arenas.set(group, built);
    }
    return built.arena === null ? null : (built as FusedGroup<S>);
  }
}

function buildArena(params: readonly Tensor[], arrays: readonly string[]): ParamArena | null {
  if (params.some((p) => p.dtype !== 'float32')) return null;
  try {
    return new ParamArena(params, { state: arrays });
  } catch (e) {
    // Too large for a 4 GiB memory, or the memory could not be had: the plain path still works.
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function sameTensors(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

function definedEntries<T extends object>(options: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

function emptyRows(g: SparseRows): SparseRows {
  const rowShape = g.shape.slice(1);
  return new SparseRows(new Int32Array(0), new Tensor(allocate(0, g.values.dtype), [0, ...rowShape]), g.shape);
}

// ---------------------------------------------------------------------------------------------
// State (de)serialization

function copyJSON(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJSON);
  return value;
}

function tensorJSON(t: Tensor): TensorJSON {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

function scalarJSON(x: number): TensorJSON {
  return { shape: [], data: [x] };
}

function serializeState(state: ParamState, layout: StateLayout): Record<string, StateJSONValue> {
  const out: Record<string, StateJSONValue> = {};
  for (const [key, value] of Object.entries(state)) {
    const kind = layout[key]?.kind;
    if (value === undefined) continue;
    if (value === null) out[key] = null;
    else if ((kind === 'count0d' || kind === 'number0d') && typeof value === 'number') out[key] = scalarJSON(value);
    else if (kind === 'number0dList' && Array.isArray(value)) out[key] = value.map((x) => scalarJSON(x as number));
    else out[key] = serializeValue(value);
  }
  return out;
}

function serializeValue(value: StateValue): StateJSONValue {
  if (value instanceof Tensor) return tensorJSON(value);
  if (Array.isArray(value)) return value.map(serializeValue);
  return value as StateJSONValue;
}

function isTensorJSON(x: unknown): x is TensorJSON {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && Array.isArray((x as TensorJSON).shape) && Array.isArray((x as TensorJSON).data);
}

function readTensor(x: unknown, key: string, like: Tensor, expectShape: readonly number[] | null): Tensor {
  if (!isTensorJSON(x)) throw new Error(`'${key}' must be a tensor { shape, data }, got ${describe(x)}`);
  const shape = x.shape;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`'${key}' has an invalid shape ${JSON.stringify(shape)}`);
  if (expectShape !== null && (shape.length !== expectShape.length || shape.some((d, i) => d !== expectShape[i]))) {
    throw new Error(`'${key}' has shape ${shapeString(shape)} but the parameter has shape ${shapeString(expectShape)}`);
  }
  if (x.data.length !== numel(shape)) throw new Error(`'${key}' has ${x.data.length} values for shape ${shapeString(shape)}`);
  if (!x.data.every((v) => typeof v === 'number')) throw new Error(`'${key}' holds a value that is not a number`);
  const data: FloatArray = allocate(x.data.length, like.dtype);
  data.set(x.data);
  return new Tensor(data, shape);
}

function readNumber(x: unknown, key: string, integer: boolean): number {
  let value: unknown = x;
  if (isTensorJSON(x)) {
    if (x.data.length !== 1 || x.shape.length !== 0) throw new Error(`'${key}' must be a number or a 0-d tensor, got shape ${shapeString(x.shape)}`);
    value = x.data[0];
  }
  if (typeof value !== 'number') throw new Error(`'${key}' must be a number, got ${describe(value)}`);
  if (integer && !(Number.isInteger(value) && value >= 0)) throw new Error(`'${key}' must be a non-negative integer count, got ${value}`);
  return value;
}

function deserializeState(entry: Record<string, unknown>, layout: StateLayout, param: Tensor): ParamState {
  const out: ParamState = {};
  for (const key of Object.keys(entry)) {
    if (!(key in layout)) {
      const known = Object.keys(layout).map((k) => `'${k}'`).join(', ');
      throw new Error(`unexpected state entry '${key}' (this optimizer's state has ${known})`);
    }
  }
  for (const [key, field] of Object.entries(layout)) {
    if (!(key in entry) || entry[key] === undefined) {
      if (field.required ?? true) throw new Error(`missing state entry '${key}'`);
      continue;
    }
    const x = entry[key];
    if (x === null) {
      if (!field.nullable) throw new Error(`state entry '${key}' is null`);
      out[key] = null;
      continue;
    }
    switch (field.kind) {
      case 'count':
      case 'count0d':
        out[key] = readNumber(x, key, true);
        break;
      case 'number':
      case 'number0d':
        out[key] = readNumber(x, key, false);
        break;
      case 'param':
        out[key] = readTensor(x, key, param, param.shape);
        break;
      case 'tensor':
        out[key] = readTensor(x, key, param, null);
        break;
      case 'tensorList':
        if (!Array.isArray(x)) throw new Error(`'${key}' must be a list of tensors`);
        out[key] = x.map((t, i) => readTensor(t, `${key}[${i}]`, param, null));
        break;
      case 'number0dList':
        if (!Array.isArray(x)) throw new Error(`'${key}' must be a list of numbers`);
        out[key] = x.map((t, i) => readNumber(t, `${key}[${i}]`, false));
        break;
    }
  }
  return out;
}

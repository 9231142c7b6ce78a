/**
 * What one optimizer is, in one place: the spec each src/optim/<name>.ts exports.
 *
 * A spec holds the algorithm box, the options table (PyTorch's defaults, the values the
 * constructor accepts, slider ranges, descriptions), the state table (each entry of one
 * parameter's state, as PyTorch names it, and when it exists), and, for optimizers whose step is
 * an elementwise kernel, the kernels: the per-step numbers, the plain TypeScript call and the
 * fused WebAssembly call. Everything else is derived from it here: the defaults, option
 * validation (options.ts), the state layout the state dict reads and writes (state_dict.ts),
 * the arrays a fused arena keeps per parameter, and the bytes of state per parameter that
 * `descent describe` and the race's memory claim report.
 *
 * The registry (registry.ts) is a list of these specs; the contract suite, the CLI, the race
 * and the playground read them from there.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Gradient } from '../tensor/sparse.js';
import type { ParamArena, StagedRows } from './wasm/arena.js';
import type { OptimizerLike } from './wrapper.js';
import type { Optimizer, ParamsInput } from './optimizer.js';

// ---------------------------------------------------------------------------------------------
// Options

/** One option, as the constructor checks it and a CLI flag or a slider shows it. */
export interface OptionSpec {
  /** descent's (camelCase) name; PyTorch's is its snake_case form. */
  name: string;
  /**
   * `betas`: a pair of numbers in [0, 1); `nullableNumber`: a number or null (LAMB's
   * maxGradNorm); `choice`: one of `choices` (LBFGS's lineSearchFn); `tuple`: `length` numbers,
   * each within min/max (Rprop's etas), null where `nullableAt` allows it (Adafactor's ε₁).
   */
  type: 'number' | 'boolean' | 'betas' | 'nullableNumber' | 'choice' | 'tuple';
  choices?: readonly unknown[];
  /** `tuple`: how many numbers. */
  length?: number;
  /** `tuple`: the positions where null is valid. */
  nullableAt?: readonly number[];
  /** PyTorch's default. */
  default: unknown;
  /** The valid values (what the constructor accepts); numbers are always finite. */
  min?: number;
  max?: number;
  /** min (or max) itself is invalid. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  /** Only whole numbers are valid. */
  integer?: boolean;
  /** How an error names the option (`learning rate`); default `<name> value`. */
  label?: string;
  /**
   * The PyTorch release that added the option (`2.0`): a state dict from an older release,
   * which lacks its key, loads with the default.
   */
  addedIn?: string;
  /** A sensible range for a slider, and its scale. */
  range?: [number, number];
  scale?: 'linear' | 'log';
  description: string;
}

/** The options object a spec's option table describes: name → default. */
export function defaultsOf<O>(options: readonly OptionSpec[]): Readonly<O> {
  return Object.freeze(Object.fromEntries(options.map((o) => [o.name, o.default]))) as Readonly<O>;
}

// Shared option rows (a row whose default or text differs takes arguments).

export const lr = (def: number, description = 'Learning rate: the step size.'): OptionSpec => ({
  name: 'lr', type: 'number', default: def, min: 0, label: 'learning rate', range: [1e-5, 1], scale: 'log', description,
});
export const weightDecay = (def = 0, description = 'L2 penalty λ added to the gradient.'): OptionSpec => ({
  name: 'weightDecay', type: 'number', default: def, min: 0, range: [0, 0.1], scale: 'linear', description,
});
export const eps = (def: number, description = 'Added to the denominator for numerical stability.'): OptionSpec => ({
  name: 'eps', type: 'number', default: def, min: 0, range: [1e-12, 1e-3], scale: 'log', description,
});
export const betas = (description = 'Decay rates (β₁, β₂) of the first and second moment averages.'): OptionSpec => ({
  name: 'betas', type: 'betas', default: [0.9, 0.999], min: 0, max: 1, exclusiveMax: true, range: [0, 0.9999], description,
});
export const maximize: OptionSpec = { name: 'maximize', type: 'boolean', default: false, description: 'Climb the objective instead of descending it.' };
/** Weight decay as a factor 1 − γλ on θ before the step, instead of λθ added to the gradient (PyTorch 2.x). */
export const decoupledWeightDecay: OptionSpec = {
  name: 'decoupledWeightDecay', type: 'boolean', default: false, addedIn: '2.x',
  description: 'Decoupled weight decay (AdamW\'s): shrink θ by γλθ each step instead of adding λθ to the gradient.',
};
export const momentum = (description = 'Momentum factor μ: how much of the previous step carries over.'): OptionSpec => ({
  name: 'momentum', type: 'number', default: 0, min: 0, range: [0, 0.99], scale: 'linear', description,
});
export const flag = (name: string, description: string, def = false): OptionSpec => ({ name, type: 'boolean', default: def, description });

// ---------------------------------------------------------------------------------------------
// State

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

/** One entry of one parameter's state, as the state dict reads and writes it. */
export interface StateField {
  kind: StateFieldKind;
  /** Absent entries are an error when loading (default true). */
  required?: boolean;
  /** `null` is a valid value (SGD's `momentum_buffer` without momentum). */
  nullable?: boolean;
  /** Every value must be ≥ 0 (second moments, sums of squares); every value is finite in any case. */
  nonNegative?: boolean;
  /** A `tensor` entry's shape for a parameter of this shape; null: such a parameter has no such entry. */
  shape?: (paramShape: readonly number[]) => number[] | null;
}

export type StateLayout = Readonly<Record<string, StateField>>;

/** One entry of a spec's state table. */
export interface StateEntrySpec<O> {
  kind: StateFieldKind;
  /** Whether a parameter of a group with these options has the entry (default: always). */
  when?: (options: Readonly<O>) => boolean;
  /**
   * A fresh entry's value: a number for counters and numbers, the fill of a `param` tensor
   * (default 0), or `null` for an entry the kernel creates on its first step (SGD's buffer).
   */
  initial?: number | null | ((options: Readonly<O>) => number);
  /** Loading: the entry may be absent even when `when` holds. */
  optional?: boolean;
  /**
   * A `tensor` entry whose shape follows the parameter's (Adafactor's row and column factors):
   * its shape for a parameter of this shape, or null where such a parameter has no such entry.
   * A fresh entry is that many zeros; a loaded one must have that shape.
   */
  shape?: (paramShape: readonly number[]) => number[] | null;
  /** Whether the fused kernel keeps a `param` entry in the arena (default: whenever it exists). */
  arena?: (options: Readonly<O>) => boolean;
  /** Its values are never negative (second moments, sums of squares): a state dict saying otherwise is refused. */
  nonNegative?: boolean;
}

export type StateTable<O> = Readonly<Record<string, StateEntrySpec<O>>>;

/** The state dict's layout for a group with these options. */
export function layoutOf<O>(table: StateTable<O>, options: Readonly<O>): StateLayout {
  const layout: Record<string, StateField> = {};
  for (const [key, entry] of Object.entries(table)) {
    const present = entry.when === undefined || entry.when(options);
    // An entry whose shape follows the parameter's is required where the parameter has one (state_dict.ts).
    layout[key] = { kind: entry.kind, required: present && entry.optional !== true && entry.shape === undefined, nullable: entry.initial === null, nonNegative: entry.nonNegative === true };
    if (entry.shape !== undefined) layout[key]!.shape = entry.shape;
  }
  return layout;
}

/**
 * The arrays a fused arena keeps per parameter under these options: the state table's `param`
 * entries that exist, then the kernel's scratch arrays. The same frozen array comes back for the
 * same configuration, so a caller tells a changed configuration by identity.
 */
export function arenaArraysOf<O extends object>(spec: KernelOptimizerSpec<O>, options: Readonly<O>): readonly string[] {
  let memo = arenaArrayMemo.get(spec) as ArenaArrayMemo<O> | undefined;
  if (memo === undefined) arenaArrayMemo.set(spec, (memo = { entries: Object.entries(spec.state), byMask: new Map() }));
  // Every step asks: which entries are on is a bit mask, so the answer allocates nothing.
  let mask = 0;
  for (let k = 0; k < memo.entries.length; k++) if (inArena(memo.entries[k]![1], options)) mask |= 1 << k;
  let arrays = memo.byMask.get(mask);
  if (arrays === undefined) {
    const names = memo.entries.filter((_, k) => (mask & (1 << k)) !== 0).map(([key]) => key);
    memo.byMask.set(mask, (arrays = Object.freeze(names.concat(spec.kernels.scratch ?? []))));
  }
  return arrays;
}

interface ArenaArrayMemo<O> {
  entries: ReadonlyArray<readonly [string, StateEntrySpec<O>]>;
  byMask: Map<number, readonly string[]>;
}

const arenaArrayMemo = new WeakMap<object, ArenaArrayMemo<never>>();

function inArena<O>(entry: StateEntrySpec<O>, options: Readonly<O>): boolean {
  return entry.kind === 'param' && (entry.when === undefined || entry.when(options)) && (entry.arena === undefined || entry.arena(options));
}

const FLOAT32_BYTES = 4;

/** Bytes of state per float32 parameter element: one per parameter-sized array these options keep. */
export function stateBytesOf<O>(state: StateTable<O>, options: Readonly<O>): number {
  return FLOAT32_BYTES * Object.values(state).filter((e) => inArena(e, options)).length;
}

// ---------------------------------------------------------------------------------------------
// Kernels

/**
 * Parameters of one group that take one kernel call this step: they have a gradient, and their
 * states agree (the same step count, ...), so `states[0]` stands for all of them in the
 * per-step numbers. The lists are reused from step to step.
 */
export interface Run<S> {
  /** The group's arena on the fused path; null on the plain path. */
  arena: ParamArena | null;
  /** Positions in `group.params`, ascending: the params' indices in the arena. */
  readonly indices: number[];
  readonly params: Tensor[];
  /** The gradients, on the plain path and for a row-sparse run; a fused dense run's are in the arena and this is empty. */
  readonly grads: Gradient[];
  readonly states: S[];
  /** Fused path, a row-sparse gradient: its rows, coalesced into the arena (a run of one parameter). */
  rows: StagedRows | null;
}

/** What the step offers a kernel spec beyond its group: sums over gradients on the path the step takes. */
export interface StepContext<O> {
  /** Σ‖g‖² over a group's dense gradients (LAMB's global clip). */
  gradSumOfSquares(group: Readonly<O> & { params: Tensor[] }): number;
  readonly groups: ReadonlyArray<Readonly<O> & { params: Tensor[] }>;
}

/**
 * An elementwise optimizer's maths. `H` is its numbers object (`AdamHyper`, ...): made once by
 * `hyper()`, filled by `scalars` once per run (bias corrections, signs; kernels/scalars.ts),
 * and read by both calls, so the paths differ in their loops only.
 */
export interface KernelSpec<O, S, H> {
  hyper(): H;
  /** Once per step, before any group: numbers that need every group (LAMB's global norm). */
  prepare?(h: H, context: StepContext<O>): void;
  /** This run's numbers; may update counters the numbers depend on (NAdam's μ product) in every state of the run. */
  scalars(h: H, options: Readonly<O>, run: Run<S>): void;
  /** The plain path: one parameter, its gradient (dense, or row-sparse where the spec accepts it), its state. */
  plain(h: H, options: Readonly<O>, param: Tensor, grad: Gradient, state: S): void;
  /** The fused path: every parameter of the run, in the arena, in one call. Absent: no fused path. */
  fused?(h: H, options: Readonly<O>, arena: ParamArena, run: Run<S>): void;
  /** The fused path on one parameter's staged row-sparse gradient (`run.rows`). */
  fusedRows?(h: H, options: Readonly<O>, arena: ParamArena, run: Run<S>): void;
  /**
   * Floats of scratch memory a fused call needs, for the group's largest parameter (Muon's
   * Newton–Schulz matrices, Adafactor's factors): the arena keeps one such workspace per group.
   */
  workspace?(params: readonly Tensor[]): number;
  /** Arena arrays beyond the state (LAMB's direction `update`). */
  scratch?: readonly string[];
  /** Whether two parameters can share a call (default: all counters and numbers of their states agree). */
  sameRun?(a: S, b: S): boolean;
  /**
   * A problem with a gradient these options cannot take (Adagrad: weight decay with a sparse one),
   * or null. The fused path asks when it first sees a gradient, and at every step for a row-sparse
   * one: a verdict on a dense gradient must not depend on options.
   */
  checkGradient?(options: Readonly<O>, grad: Gradient): string | null;
}

// ---------------------------------------------------------------------------------------------
// The spec

export interface PaperReference {
  title: string;
  authors: string;
  year: number;
  url: string;
}

/** Configurations the contract suite runs (test/optim.contract.test.ts). */
export interface TestConfigs<O> {
  /** Options under which L(w) = ½ Σ a (w − b)² falls to a tenth within `steps` steps. */
  quadratic: { options: Partial<O>; steps: number };
  /** Options under which Rosenbrock's function from (−1.2, 1) falls to `below` times its start within `steps`. */
  rosenbrock: { options: Partial<O>; steps: number; below: number };
  /** Option values the constructor must refuse, with (part of) the message it must give. */
  invalid: Array<{ options: Record<string, unknown>; error: RegExp }>;
}

/** Any optimizer's spec: what the registry lists. */
export interface OptimizerSpec<O extends object = Record<string, unknown>> {
  /** Lowercase id (`adam`), for CLI flags and URLs. */
  id: string;
  /** The class name (`Adam`). */
  displayName: string;
  /** PyTorch's class name, or null for optimizers PyTorch does not have. */
  torchName: string | null;
  /** One line for `descent describe` and tooltips. */
  summary: string;
  /** The algorithm box of the optimizer's file (Unicode math). */
  algorithm: string;
  paper: PaperReference;
  /** The options table, in the order `describe` lists them. */
  options: readonly OptionSpec[];
  /** Derived from `options`. */
  defaults: Readonly<O>;
  /**
   * Group keys PyTorch 2.14 writes for this class beside its options, with the values it writes:
   * the implementation switches (`foreach`, `fused`, `capturable`, `differentiable`, which
   * `loadStateDict` accepts with the meaning state_dict.ts documents) and keys fixed for the class
   * (AdamW's `decoupled_weight_decay: true`, which a loaded state dict must not contradict). They
   * appear in `stateDict()` so the layout is PyTorch's.
   */
  torchGroupKeys?: Readonly<Record<string, unknown>>;
  /**
   * Which of `torchGroupKeys` PyTorch 1.13 already wrote. A state dict carrying another one was
   * written by PyTorch 2.x and must then have every option, also those 2.x added (`addedIn`):
   * only a 1.13 state dict may lack them.
   */
  legacyTorchGroupKeys?: readonly string[];
  /** Checks between options that no single row expresses; returns the problem, or null. */
  constraint?(options: Readonly<O>): string | null;
  /** Bytes of optimizer state per float32 parameter element under these options (default: derived from the state table). */
  stateBytesPerParam(options?: Partial<O>, shapes?: ReadonlyArray<readonly number[]>): number;
  /** How the state bytes depend on the parameters' shapes, where they do (Adafactor), for tables. */
  stateBytesNote?: string;
  /**
   * Set where `lr` only seeds state (Rprop's step sizes, ASGD's η), so that a live edit of
   * `group.lr` acts through that state rather than on the next step: says how.
   */
  lrSeedsState?: string;
  /** Why a parameter of this shape cannot be optimized (Muon: not a matrix), or null. */
  acceptsParam?(shape: readonly number[]): string | null;
  /** `step(closure)` needs a closure (re-evaluates the loss). */
  needsClosure: boolean;
  /** Which gradients it accepts. */
  gradients: 'dense' | 'sparse' | 'dense-or-sparse';
  /**
   * `per-parameter`: each parameter has its own state entry (moments, buffers), so a state dict
   * can be matched by name. `flat`: one entry for all parameters seen as one vector (LBFGS), tied
   * to their order; one param group only.
   */
  stateKind: 'per-parameter' | 'flat';
  testConfigs: TestConfigs<O>;
  create(params: ParamsInput<O>, options?: Partial<O>): Optimizer<O>;
}

/** An elementwise optimizer's spec: its state table and kernels too. */
export interface KernelOptimizerSpec<O extends object = Record<string, unknown>, S = Record<string, unknown>, H = unknown> extends OptimizerSpec<O> {
  state: StateTable<O>;
  kernels: KernelSpec<O, S, H>;
  /** Appended to the error for a gradient of the wrong kind (Adam: `, please consider SparseAdam instead`). */
  gradientHint?: string;
}

type SpecInput<O extends object, Extra> = Omit<OptimizerSpec<O>, 'defaults' | 'stateBytesPerParam' | 'stateKind' | 'needsClosure'> &
  Partial<Pick<OptimizerSpec<O>, 'stateKind' | 'needsClosure' | 'stateBytesPerParam'>> &
  Extra;

/** An elementwise optimizer's spec, with its defaults and state bytes derived. */
export function defineKernelOptimizer<O extends object, S, H>(input: SpecInput<O, { state: StateTable<O>; kernels: KernelSpec<O, S, H>; gradientHint?: string }>): KernelOptimizerSpec<O, S, H> {
  const defaults = defaultsOf<O>(input.options);
  return {
    needsClosure: false,
    stateKind: 'per-parameter',
    stateBytesPerParam: (options: Partial<O> = {}) => stateBytesOf(input.state, { ...defaults, ...options }),
    ...input,
    defaults,
  } as KernelOptimizerSpec<O, S, H>;
}

/** Any other optimizer's spec (LBFGS), with its defaults derived. */
export function defineOptimizer<O extends object>(input: SpecInput<O, { stateBytesPerParam: OptimizerSpec<O>['stateBytesPerParam'] }>): OptimizerSpec<O> {
  return { needsClosure: false, stateKind: 'per-parameter', ...input, defaults: defaultsOf<O>(input.options) } as OptimizerSpec<O>;
}

// ---------------------------------------------------------------------------------------------
// Wrappers: optimizers that take another optimizer's steps (Lookahead, SAM)

export interface WrapperSpec<O extends object = Record<string, unknown>> {
  id: string;
  displayName: string;
  summary: string;
  /** Wraps `inner` (any optimizer, or another wrapper). */
  create(inner: OptimizerLike, options?: Partial<O>): OptimizerLike;
  defaults: Readonly<O>;
  options: readonly OptionSpec[];
  algorithm: string;
  paper: PaperReference;
  /** Bytes per float32 parameter element on top of the inner optimizer's state. */
  extraBytesPerParam: number;
  /** `step(closure)` needs a closure. */
  needsClosure: boolean;
}

export function defineWrapper<O extends object>(input: Omit<WrapperSpec<O>, 'defaults'>): WrapperSpec<O> {
  return { ...input, defaults: defaultsOf<O>(input.options) };
}

// ---------------------------------------------------------------------------------------------
// Refusals the contract suite expects of the shared option rows

export const invalid = {
  lr: { options: { lr: -1 }, error: /Invalid learning rate: -1/ },
  eps: { options: { eps: -1e-8 }, error: /Invalid eps value: -1e-8/ },
  weightDecay: { options: { weightDecay: -0.1 }, error: /Invalid weightDecay value: -0\.1/ },
  betas: [
    { options: { betas: [1.5, 0.999] }, error: /Invalid beta parameter at index 0: 1\.5/ },
    { options: { betas: [0.9, -0.1] }, error: /Invalid beta parameter at index 1: -0\.1/ },
  ],
  maximize: { options: { maximize: 'yes' }, error: /Invalid maximize value: "yes"/ },
  unknownOption: { options: { learningRate: 0.1 }, error: /unknown option 'learningRate'/ },
};

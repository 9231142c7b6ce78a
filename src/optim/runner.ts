/**
 * `KernelOptimizer`: the base of every optimizer whose step is an elementwise kernel (all but
 * LBFGS), driven by its spec (spec.ts). The spec's state table gives a new parameter's state and
 * this step's bookkeeping; its kernels give the per-step numbers and one call per path.
 *
 * A step runs each group on one of two paths, chosen per group and step by `kernelBackend()`:
 *  - the plain path, below: the spec's TypeScript kernel, once per parameter, over the
 *    parameter's own arrays. It is the reference, and the fallback where WebAssembly SIMD is
 *    missing, for float64 parameters, and when a group's arena cannot be allocated.
 *  - the fused path (wasm/runner.ts): the group's parameters, gradients and state live in one
 *    arena, and one WebAssembly SIMD call updates every parameter of the group.
 * Both paths share the bookkeeping here (lazy state, step counts) and the per-step numbers,
 * which the spec computes once per run: the parameters whose states agree (normally all).
 *
 * Live state keeps counters and scalars as numbers (the maths reads them every step); the layout
 * says which of them PyTorch stores as 0-d tensors, and the state dict writes them that way. On
 * the fused path a state tensor's `data` is a view of the arena: change values in place
 * (`.data.set(...)`), or load a state dict, whose tensors are copied into the arena on the next
 * step. A tensor put in a state entry's place, or a counter changed in place, is seen once the
 * entry is set again (`optimizer.state.set(p, state)`): the fused path reads states, and splits
 * its runs, again only when `optimizer.state` changes.
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import type { Gradient } from '../tensor/sparse.js';
import { kernels } from './kernels/index.js';
import { Optimizer, type ParamGroup, type ParamsInput, type StateMap } from './optimizer.js';
import { layoutOf, type KernelOptimizerSpec, type Run, type StateEntrySpec, type StateLayout, type StepContext } from './spec.js';
import type { ParamState } from './state_dict.js';
import { FusedRunner } from './wasm/runner.js';
import { RunSplitter, fitRun, setInRun, emptyRun } from './run.js';

/** Whether two states agree on every counter and number (the per-step numbers read them). */
function scalarsAgree(counters: readonly string[]): (a: ParamState, b: ParamState) => boolean {
  if (counters.length === 1) {
    const key = counters[0]!;
    return (a, b) => a[key] === b[key];
  }
  return (a, b) => {
    for (let i = 0; i < counters.length; i++) if (a[counters[i]!] !== b[counters[i]!]) return false;
    return true;
  };
}


export class KernelOptimizer<O extends object = Record<string, unknown>, S extends ParamState = ParamState, H = unknown> extends Optimizer<O, S> {
  protected declare readonly spec: KernelOptimizerSpec<O, S, H>;
  private readonly hyper: H;
  private readonly entries: ReadonlyArray<readonly [string, StateEntrySpec<O>]>;
  /** The counters (each step adds 1), and the entries that exist under some options only (made when they first do). */
  private readonly counters: readonly string[];
  private readonly optional: ReadonlyArray<readonly [string, StateEntrySpec<O>]>;
  /** Every optional entry is an arena array: it exists exactly when the group's arena has it. */
  private readonly optionalFollowsArena: boolean;
  /** The optional entries a group's options turn on, worked out once per group and step. */
  private readonly optionalOn: Array<readonly [string, StateEntrySpec<O>]> = [];
  private optionalGroup: object | null = null;
  private optionalStep = -1;
  private stepCount = 0;
  /** This step's params with gradients in one group, on the plain path. */
  private readonly batch: Run<S> = emptyRun();
  private readonly splitter: RunSplitter<S>;
  /** The fused path, for a spec with a fused kernel. */
  private readonly fused: FusedRunner<O, S, H> | null;
  private readonly context: StepContext<O>;

  constructor(params: ParamsInput<O>, spec: KernelOptimizerSpec<O, S, H>, options: Partial<O>) {
    super(params, spec, options);
    this.hyper = spec.kernels.hyper();
    this.entries = Object.entries(spec.state);
    this.counters = this.entries.filter(([, e]) => e.kind === 'count' || e.kind === 'count0d').map(([key]) => key);
    this.optional = this.entries.filter(([, e]) => e.when !== undefined);
    this.optionalFollowsArena = this.optional.every(([, e]) => e.kind === 'param' && e.arena === undefined && e.shape === undefined);
    const scalarKeys = this.entries.filter(([, e]) => e.kind !== 'param').map(([key]) => key);
    const sameRun = spec.kernels.sameRun ?? scalarsAgree(scalarKeys);
    this.splitter = new RunSplitter<S>(sameRun);
    this.fused = spec.kernels.fused === undefined && spec.kernels.fusedRows === undefined
      ? null
      : new FusedRunner<O, S, H>(spec, this.hyper, this.state as StateMap<Tensor, S>, sameRun, this.newState, this.advanceState, this.advanceRun, (group, p, grad) => this.checkParamGradient(group, p, grad));
    this.context = {
      groups: this.paramGroups,
      gradSumOfSquares: (group) => this.fused?.gradSumOfSquares(group as ParamGroup<O>) ?? plainGradSumOfSquares(group.params),
    };
  }

  protected stateLayout(group: Readonly<O>): StateLayout {
    return layoutOf(this.spec.state, group);
  }

  protected override checkGradient(group: Readonly<ParamGroup<O>>, _param: Tensor, grad: Gradient): void {
    const spec = this.spec;
    if (grad.isSparse && spec.gradients === 'dense') throw new TypeError(`${this.name} does not support sparse gradients${spec.gradientHint ?? ''}`);
    if (!grad.isSparse && spec.gradients === 'sparse') throw new TypeError(`${this.name} does not support dense gradients${spec.gradientHint ?? ''}`);
    const problem = spec.kernels.checkGradient?.(group, grad) ?? null;
    if (problem !== null) throw new RangeError(`${this.name}: ${problem}`);
  }

  /** A parameter's state before its first step: every entry its group's options give it. */
  private readonly newState = (group: Readonly<O>, p: Tensor): S => {
    const state: ParamState = {};
    for (const [key, entry] of this.entries) if (exists(entry, group, p)) state[key] = initialValue(entry, group, p);
    return state as S;
  };

  /**
   * This step's bookkeeping, before any update of the step, on both paths: counters count the
   * step, and entries an option needs since a live change (RMSprop's momentum buffer) appear.
   */
  private readonly advanceState = (group: Readonly<O>, p: Tensor, state: S): void => {
    const s = state as ParamState;
    const counters = this.counters;
    for (let i = 0; i < counters.length; i++) s[counters[i]!] = (s[counters[i]!] as number) + 1;
    if (this.optional.length === 0) return;
    const on = this.optionalEntriesOn(group);
    for (let i = 0; i < on.length; i++) {
      const [key, entry] = on[i]!;
      if (s[key] === undefined) s[key] = initialValue(entry, group, p);
    }
  };

  /**
   * `advanceState` for every param of a run, whose states agree, on the fused path's steady
   * step. An optional entry that lives in the arena appears with a new arena, so a plan that
   * holds has it already: where every optional entry does (Adam's AMSGrad maximum, RMSprop's
   * buffers), counting is all there is to do, in one tight loop per counter.
   */
  private readonly advanceRun = (group: Readonly<O>, run: Run<S>): void => {
    const states = run.states as ParamState[];
    if (!this.optionalFollowsArena) {
      for (let k = 0; k < states.length; k++) this.advanceState(group, run.params[k]!, run.states[k]!);
      return;
    }
    for (const key of this.counters) {
      for (let k = 0; k < states.length; k++) states[k]![key] = (states[k]![key] as number) + 1;
    }
  };

  private optionalEntriesOn(group: Readonly<O>): ReadonlyArray<readonly [string, StateEntrySpec<O>]> {
    if (group !== this.optionalGroup || this.stepCount !== this.optionalStep) {
      const on = this.optionalOn;
      on.length = 0;
      for (const item of this.optional) if (item[1].when!(group)) on.push(item);
      this.optionalGroup = group;
      this.optionalStep = this.stepCount;
    }
    return this.optionalOn;
  }

  /** Gradients are checked group by group: on the fused path against the group's plan, which also stages them. */
  protected override checkGradients(): void {
    for (const group of this.paramGroups) {
      if (this.fused === null || !this.fused.prepare(group)) this.checkGroupGradients(group);
    }
  }

  protected update(): void {
    this.stepCount++;
    const k = this.spec.kernels;
    k.prepare?.(this.hyper, this.context);
    for (const group of this.paramGroups) {
      if (this.fused === null || !this.fused.step(group)) this.plainStep(group);
    }
  }

  /** One run on the plain path: its numbers, then the plain kernel once per parameter. */
  private readonly plainRun = (run: Run<S>, group: ParamGroup<O>): void => {
    const k = this.spec.kernels;
    const hyper = this.hyper;
    k.scalars(hyper, group, run);
    for (let j = 0; j < run.params.length; j++) k.plain(hyper, group, run.params[j]!, run.grads[j]!, run.states[j]!);
  };

  /** The plain path: the reference. */
  private plainStep(group: ParamGroup<O>): void {
    const batch = this.batch;
    let n = 0;
    const params = group.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const grad = p.grad;
      if (grad === null) continue;
      let state = this.state.get(p);
      if (state === undefined) this.state.set(p, (state = this.newState(group, p)));
      this.advanceState(group, p, state);
      setInRun(batch, n++, i, p, grad, state);
    }
    fitRun(batch, n);
    if (n > 0) this.splitter.forEachRun(batch, group, this.plainRun);
    // Hold no gradient past the step: backward makes fresh arrays, which would otherwise stay alive.
    batch.grads.fill(null as unknown as Gradient);
  }
}

/** Whether a parameter of `group` has the entry: its options call for it, and its shape does. */
function exists<O>(entry: StateEntrySpec<O>, options: Readonly<O>, p: Tensor): boolean {
  return (entry.when === undefined || entry.when(options)) && (entry.shape === undefined || entry.shape(p.shape) !== null);
}

function initialValue<O>(entry: StateEntrySpec<O>, options: Readonly<O>, p: Tensor): number | Tensor | null {
  const initial = typeof entry.initial === 'function' ? entry.initial(options) : entry.initial;
  if (entry.kind !== 'param' && entry.shape === undefined) return initial ?? 0;
  if (initial === null) return null;
  const shape = entry.shape?.(p.shape) ?? [...p.shape];
  const data = allocate(shape.reduce((a, b) => a * b, 1), p.dtype);
  if (initial !== undefined && initial !== 0) data.fill(initial);
  return new Tensor(data, shape);
}

function plainGradSumOfSquares(params: readonly Tensor[]): number {
  let total = 0;
  for (const p of params) {
    const grad = p.grad;
    if (grad !== null && !grad.isSparse) total += kernels.sumOfSquares(grad.data, grad.data.length);
  }
  return total;
}

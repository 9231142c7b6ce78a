/**
 * The fused path of a `KernelOptimizer` step (../runner.ts has the plain one, the reference).
 *
 * On a group's first fused step its parameters move into one `ParamArena` (a fixed
 * `WebAssembly.Memory`, see docs/ARCHITECTURE.md) with one array per state entry the spec keeps
 * there, and every state tensor becomes a view into it, so one WebAssembly SIMD call updates
 * every parameter of the group that has a dense gradient, in place; a row-sparse gradient is
 * coalesced into the arena and takes a call of its own. A step allocates nothing once the
 * arena is built.
 *
 * A group's bookkeeping is done when something changed, not every step. Its *plan* records, per
 * parameter, which kind of gradient it was last admitted with (none, dense in its arena slot,
 * dense elsewhere, row-sparse), the states bound into the arena, and the runs: the params that
 * take one kernel call. The group's params and their dense gradients carry the plan's change
 * flag (`Tensor.watcher`), which their `data` and `grad` setters raise. A step has two phases,
 * as on the plain path:
 *  - `prepare`, for every group before any parameter moves. When the flag is up or
 *    `optimizer.state` changed, one pass checks every param against the plan (its values live in
 *    the arena, its gradient is of the planned kind; a gradient seen for the first time is
 *    checked) and marks the plan stale where it no longer holds. Otherwise only what no setter
 *    reports is done: gradients made outside the arena (`p.grad = t`) are copied into their
 *    slots, at every step since their values are the user's, and row-sparse ones are checked
 *    against this step's options.
 *  - `step`: a stale plan is made again (states created and bound, runs split); then each run
 *    counts its step and takes one kernel call.
 * A steady step is therefore a check that the group lists the same tensors, the counters, and
 * one call per run. Not seen until `optimizer.state` is set again (`optimizer.state.set(p,
 * state)`, a loaded state dict): a state's counter or tensor replaced in place.
 */
import type { ChangeFlag, Tensor } from '../../tensor/tensor.js';
import type { Gradient, SparseRows } from '../../tensor/sparse.js';
import { kernelBackend, noteFallback } from '../../wasm/backend.js';
import type { ParamGroup, StateMap } from '../optimizer.js';
import { emptyRun, fitRun, partitionRuns, setInRun } from '../run.js';
import { arenaArraysOf, type KernelOptimizerSpec, type Run } from '../spec.js';
import type { ParamState } from '../state_dict.js';
import { ParamArena } from './arena.js';
import { gradSumOfSquares } from './fused.js';

/** The kind of gradient a param was last admitted with. */
const NO_GRAD = 0;
/** Dense, in the param's gradient slot (backward wrote it there). */
const IN_SLOT = 1;
/** Dense, made elsewhere (`p.grad = t`): copied into the slot each step. */
const ELSEWHERE = 2;
const ROWS = 3;

/** A group's arena and its plan (see the header); `arena` is null where the group cannot be fused. */
interface GroupPlan<S> {
  arena: ParamArena | null;
  params: readonly Tensor[];
  arrays: readonly string[];
  /** Per param: the kind of gradient admitted, `NO_GRAD` … `ROWS`. */
  kinds: Uint8Array;
  /** The states, indexed like the params; read again whenever `optimizer.state` changed. */
  states: Array<S | undefined>;
  /** Per param: its state is bound into the arena (`bindState`). */
  bound: Uint8Array;
  /** The state map's version the states were read at. */
  version: number;
  /** Params with a dense gradient, ascending (frozen: the arena keeps its segment table for it). */
  dense: readonly number[];
  /** Params with a dense gradient made outside the arena, copied in every step. */
  elsewhere: number[];
  /** Params with a row-sparse gradient. */
  rows: number[];
  /** Raised by the params and gradients of the group when one of them is replaced (`Tensor.watcher`). */
  watch: ChangeFlag;
  /** The runs of `dense`, made by `step` when the plan is stale. */
  runs: Run<S>[];
  /** Whether the lists above and the runs describe the params' gradients and states now. */
  current: boolean;
  /** `prepare` ran since the last step: the gradients are checked and staged. */
  prepared: boolean;
}

/** A group on the fused path. */
type FusedPlan<S> = GroupPlan<S> & { arena: ParamArena };

const NONE: readonly number[] = Object.freeze([]);

export class FusedRunner<O extends object, S extends ParamState, H> {
  private readonly plans = new WeakMap<object, GroupPlan<S>>();
  /** One row-sparse gradient's run. */
  private readonly single: Run<S> = emptyRun();

  constructor(
    private readonly spec: KernelOptimizerSpec<O, S, H>,
    private readonly hyper: H,
    private readonly states: StateMap<Tensor, S>,
    private readonly sameRun: (a: S, b: S) => boolean,
    private readonly newState: (group: Readonly<O>, p: Tensor) => S,
    private readonly advanceState: (group: Readonly<O>, p: Tensor, state: S) => void,
    private readonly advanceRun: (group: Readonly<O>, run: Run<S>) => void,
    /** Throws when a gradient cannot be used (wrong size, sparse where only dense works, …). */
    private readonly checkGradient: (group: ParamGroup<O>, p: Tensor, grad: Gradient) => void,
  ) {}

  /**
   * The first phase of a step, for every group before any parameter moves: checks the group's
   * params and gradients against its plan, checks new gradients, stages those made outside the
   * arena. False (nothing done) when the group takes the plain path.
   */
  prepare(group: ParamGroup<O>): boolean {
    const plan = this.planOf(group);
    if (plan === null) return false;
    if (plan.watch.changed || plan.version !== this.states.version) this.checkAll(group, plan);
    else this.restage(group, plan);
    plan.prepared = true;
    return true;
  }

  /**
   * Something was replaced since the last step (a gradient, a param's or a gradient's storage,
   * a state): every param is checked against the plan, and the plan is marked stale where it
   * no longer holds. Each param and dense gradient is watched by this plan from here on.
   */
  private checkAll(group: ParamGroup<O>, plan: FusedPlan<S>): void {
    const { arena, kinds, watch } = plan;
    const params = group.params;
    if (plan.version !== this.states.version) this.readStates(group, plan);
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      // A user's `p.data = …`, a loaded module state, another optimizer's arena: the values
      // come in, the data goes back to this arena, which watches the param from now on.
      if (p.data !== arena.paramView(i)) arena.syncParam(i);
      p.watcher = watch;
      const grad = p.grad;
      // A gradient another optimizer watches already is one made outside this arena (backward
      // made this arena's own): copied at every step, it needs no watching here.
      if (grad !== null && !grad.isSparse && grad.watcher === null) grad.watcher = watch;
      const kind = kinds[i]!;
      if (kind === IN_SLOT ? grad !== null && (grad as Tensor).data === arena.gradView(i) : kind === NO_GRAD && grad === null) continue;
      const now = this.admit(group, arena, i, p, grad);
      if (now !== kind) {
        kinds[i] = now;
        plan.current = false;
      }
    }
    if (!plan.current) this.listGradients(plan);
    // The syncs above raised the flag themselves.
    watch.changed = false;
  }

  /**
   * Nothing was replaced: only what no setter reports is done again. Gradients made outside the
   * arena are copied in (their values may have changed in place), row-sparse ones are checked
   * (whether one is accepted can depend on the options).
   */
  private restage(group: ParamGroup<O>, plan: FusedPlan<S>): void {
    const params = group.params;
    for (let k = 0; k < plan.elsewhere.length; k++) {
      const i = plan.elsewhere[k]!;
      const grad = params[i]!.grad as Tensor;
      const slot = plan.arena.gradView(i);
      // Its storage may have been swapped unseen, when another optimizer watches it.
      if (grad.data.length !== slot.length) this.checkGradient(group, params[i]!, grad);
      slot.set(grad.data);
    }
    for (let k = 0; k < plan.rows.length; k++) {
      const p = params[plan.rows[k]!]!;
      this.checkGradient(group, p, p.grad!);
    }
  }

  /** The second phase: one step of `group` on the fused path; false (nothing done) on the plain path. */
  step(group: ParamGroup<O>): boolean {
    let plan = this.plans.get(group);
    if (plan === undefined || !plan.prepared || plan.arena === null) {
      if (!this.prepare(group)) return false;
      plan = this.plans.get(group)!;
    }
    const fused = plan as FusedPlan<S>;
    fused.prepared = false;
    if (fused.current && fused.runs.length > 1 && this.runsAgree(fused.runs)) fused.current = false;
    if (!fused.current) this.makeRuns(group, fused);
    else {
      for (let r = 0; r < fused.runs.length; r++) this.advanceRun(group, fused.runs[r]!);
      this.advanceRows(group, fused);
    }
    for (let r = 0; r < fused.runs.length; r++) this.fusedRun(fused.runs[r]!, group);
    for (let k = 0; k < fused.rows.length; k++) this.stepRows(group, fused, fused.rows[k]!);
    return true;
  }

  /** One run of dense gradients: its numbers, then one fused call over the run's params in the arena. */
  private fusedRun(run: Run<S>, group: ParamGroup<O>): void {
    const k = this.spec.kernels;
    k.scalars(this.hyper, group, run);
    k.fused!(this.hyper, group, run.arena!, run);
  }

  /** The kind of param i's gradient, checked; a dense one made elsewhere is copied into its slot. */
  private admit(group: ParamGroup<O>, arena: ParamArena, i: number, p: Tensor, grad: Gradient | null): number {
    if (grad === null) return NO_GRAD;
    this.checkGradient(group, p, grad);
    if (grad.isSparse) return ROWS;
    const slot = arena.gradView(i);
    if (grad.data === slot) return IN_SLOT;
    slot.set(grad.data);
    return ELSEWHERE;
  }

  /** The plan's lists of params by gradient kind, from `kinds` (the plan changed). */
  private listGradients(plan: GroupPlan<S>): void {
    const dense: number[] = [];
    const elsewhere: number[] = [];
    const rows: number[] = [];
    plan.kinds.forEach((kind, i) => {
      if (kind === IN_SLOT || kind === ELSEWHERE) dense.push(i);
      if (kind === ELSEWHERE) elsewhere.push(i);
      if (kind === ROWS) rows.push(i);
    });
    plan.dense = Object.freeze(dense);
    plan.elsewhere = elsewhere;
    plan.rows = rows;
  }

  /**
   * The stale plan made again: every param with a gradient gets its state (made on its first
   * step) counted and bound into the arena, and the dense ones are split into runs whose states
   * agree (a param that missed steps counts differently).
   */
  private makeRuns(group: ParamGroup<O>, plan: FusedPlan<S>): void {
    const { arena, kinds, states, bound } = plan;
    const params = group.params;
    for (let i = 0; i < params.length; i++) {
      if (kinds[i] === NO_GRAD) continue;
      const p = params[i]!;
      let state = states[i];
      if (state === undefined) {
        state = this.newState(group, p);
        const known = plan.version === this.states.version;
        this.states.set(p, state);
        states[i] = state;
        if (known) plan.version = this.states.version;
      }
      this.advanceState(group, p, state);
      // Once per state object: fresh state, or states read again after the map changed.
      if (bound[i] === 0) {
        arena.bindState(i, state);
        bound[i] = 1;
      }
    }
    plan.runs = plan.dense.length === 0 ? [] : partitionRuns(arena, plan.dense, params, states as S[], this.sameRun);
    plan.current = true;
  }

  /**
   * Whether two runs' states have come to agree, so one call could take both (SGD's params
   * whose momentum buffers were made a step apart). Runs whose step counts differ never do.
   */
  private runsAgree(runs: readonly Run<S>[]): boolean {
    for (let a = 0; a < runs.length; a++) {
      for (let b = a + 1; b < runs.length; b++) if (this.sameRun(runs[a]!.states[0]!, runs[b]!.states[0]!)) return true;
    }
    return false;
  }

  /** Counts the step of every param with a row-sparse gradient (steady plan). */
  private advanceRows(group: ParamGroup<O>, plan: FusedPlan<S>): void {
    for (let k = 0; k < plan.rows.length; k++) {
      const i = plan.rows[k]!;
      this.advanceState(group, group.params[i]!, plan.states[i]!);
    }
  }

  /** Param i's row-sparse gradient, coalesced into the arena, as a run of its own. */
  private stepRows(group: ParamGroup<O>, plan: FusedPlan<S>, i: number): void {
    const { single: run, hyper } = this;
    const p = group.params[i]!;
    const grad = p.grad as SparseRows;
    setInRun(run, 0, i, p, grad, plan.states[i]!);
    fitRun(run, 1);
    run.arena = plan.arena;
    // Staged just before its call: every run shares the arena's row scratch.
    run.rows = plan.arena.stageRows(i, grad);
    this.spec.kernels.scalars(hyper, group, run);
    this.spec.kernels.fusedRows!(hyper, group, plan.arena, run);
    run.rows = null;
    run.arena = null;
    run.grads[0] = null as unknown as Gradient;
  }

  /**
   * Σ‖g‖² over the group's dense gradients, in its arena (after `prepare`, which staged them);
   * null when the group takes the plain path.
   */
  gradSumOfSquares(group: ParamGroup<O>): number | null {
    let plan = kernelBackend() === 'wasm' ? this.plans.get(group) : undefined;
    if (plan === undefined || !plan.prepared) {
      if (!this.prepare(group)) return null;
      plan = this.plans.get(group)!;
    }
    if (plan.arena === null) return null;
    return plan.dense.length === 0 ? 0 : gradSumOfSquares(plan.arena, plan.dense);
  }

  /** The group's states from `optimizer.state` again (it changed), none bound into the arena yet. */
  private readStates(group: ParamGroup<O>, plan: GroupPlan<S>): void {
    group.params.forEach((p, i) => (plan.states[i] = this.states.get(p)));
    plan.bound.fill(0);
    plan.version = this.states.version;
    plan.current = false;
  }

  /**
   * The group's plan when the fused path runs this step: the backend is WebAssembly and the
   * group's params are float32. Made on the group's first fused step, and again when its
   * arrays change (an option turned on live) or a param is added or replaced; null on the plain
   * path, including where an arena cannot be allocated.
   */
  private planOf(group: ParamGroup<O>): FusedPlan<S> | null {
    let plan = this.plans.get(group);
    if (kernelBackend() !== 'wasm') {
      // The plain path counts the steps of the params it finds gradients for: the runs may no longer agree.
      if (plan !== undefined) plan.current = false;
      return null;
    }
    const arrays = arenaArraysOf(this.spec, group);
    if (plan === undefined || plan.arrays !== arrays || !sameTensors(plan.params, group.params)) {
      const params = [...group.params];
      const n = params.length;
      plan = {
        arena: buildArena(params, arrays, this.spec), params, arrays,
        kinds: new Uint8Array(n), states: [], bound: new Uint8Array(n), version: -1,
        dense: NONE, elsewhere: [], rows: [], watch: { changed: true }, runs: [], current: false, prepared: false,
      };
      this.plans.set(group, plan);
    }
    return plan.arena === null ? null : (plan as FusedPlan<S>);
  }
}

function buildArena<O extends object, S extends ParamState, H>(params: readonly Tensor[], arrays: readonly string[], spec: KernelOptimizerSpec<O, S, H>): ParamArena | null {
  // float64 params take the plain path by design (the kernels are float32): not a fallback.
  if (params.some((p) => p.dtype !== 'float32')) return null;
  try {
    // Only optimizers that take row-sparse gradients need the row-index scratch.
    return new ParamArena(params, { state: arrays, sparseRows: spec.gradients !== 'dense', workspace: spec.kernels.workspace?.(params) ?? 0 });
  } catch (e) {
    // Too large for a 4 GiB memory, or the memory could not be had: the plain path still works,
    // slower, and says so.
    if (!(e instanceof RangeError)) throw e;
    noteFallback('optimizer arena', `${spec.displayName}: ${e.message}`);
    return null;
  }
}

function sameTensors(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

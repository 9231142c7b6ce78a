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
 * The runner owns the arenas and their binding: which state object is bound into which slot,
 * re-read when `optimizer.state` changes (a loaded state dict, a user's `state.set`), rebuilt
 * when the group's params or arrays change (an option turned on live).
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Gradient, SparseRows } from '../../tensor/sparse.js';
import { kernelBackend, noteFallback } from '../../wasm/backend.js';
import type { ParamGroup } from '../optimizer.js';
import type { StateMap } from '../optimizer.js';
import { emptyRun, fitRun, setInRun, type RunSplitter } from '../run.js';
import { arenaArraysOf, type KernelOptimizerSpec, type Run } from '../spec.js';
import type { ParamState } from '../state_dict.js';
import { ParamArena } from './arena.js';
import { gradSumOfSquares } from './fused.js';

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

export class FusedRunner<O extends object, S extends ParamState, H> {
  private readonly arenas = new WeakMap<object, GroupArena<S>>();
  /** This step's params with dense gradients in one group. */
  private readonly batch: Run<S> = emptyRun();
  /** This step's params with row-sparse gradients, which take a call each. */
  private readonly rowsBatch: Run<S> = emptyRun();
  /** One row-sparse gradient's run. */
  private readonly single: Run<S> = emptyRun();
  private readonly withGrads: number[] = [];

  constructor(
    private readonly spec: KernelOptimizerSpec<O, S, H>,
    private readonly hyper: H,
    private readonly states: Map<Tensor, S>,
    private readonly splitter: RunSplitter<S>,
    private readonly newState: (group: Readonly<O>, p: Tensor) => S,
    private readonly advanceState: (group: Readonly<O>, p: Tensor, state: S) => void,
  ) {}

  /** One step of `group` on the fused path; false (nothing done) when the group takes the plain path. */
  step(group: ParamGroup<O>): boolean {
    const fused = this.fusedGroup(group);
    if (fused === null) return false;
    const states = this.states as StateMap<Tensor, S>;
    if (fused.version !== states.version) this.readStates(group, fused);
    const { batch, rowsBatch } = this;
    const arena = fused.arena;
    batch.arena = rowsBatch.arena = arena;
    let n = 0;
    let rows = 0;
    const params = group.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const grad = p.grad;
      if (grad === null) continue;
      let state = fused.states[i];
      if (state === undefined) {
        state = this.newState(group, p);
        const known = fused.version === states.version;
        states.set(p, state);
        fused.states[i] = state;
        if (known) fused.version = states.version;
      }
      this.advanceState(group, p, state);
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
      setInRun(batch, n++, i, p, grad, state);
    }
    fitRun(batch, n);
    fitRun(rowsBatch, rows);
    if (n > 0) this.splitter.forEachRun(batch, group, this.fusedRun);
    for (let r = 0; r < rows; r++) this.stepRows(group, arena, r);
    batch.arena = rowsBatch.arena = null;
    return true;
  }

  /** One run of dense gradients: its numbers, then one fused call over the run's params in the arena. */
  private readonly fusedRun = (run: Run<S>, group: ParamGroup<O>): void => {
    const k = this.spec.kernels;
    k.scalars(this.hyper, group, run);
    k.fused!(this.hyper, group, run.arena!, run);
  };

  /** The k-th row-sparse gradient, coalesced into the arena, as a run of its own. */
  private stepRows(group: ParamGroup<O>, arena: ParamArena, r: number): void {
    const { single: run, rowsBatch, hyper } = this;
    setInRun(run, 0, rowsBatch.indices[r]!, rowsBatch.params[r]!, rowsBatch.grads[r]!, rowsBatch.states[r]!);
    fitRun(run, 1);
    run.arena = arena;
    // Staged just before its call: every run shares the arena's row scratch.
    run.rows = arena.stageRows(run.indices[0]!, run.grads[0] as SparseRows);
    this.spec.kernels.scalars(hyper, group, run);
    this.spec.kernels.fusedRows!(hyper, group, arena, run);
    run.rows = null;
    run.arena = null;
    run.grads[0] = null as unknown as Gradient;
  }

  /** Σ‖g‖² over the group's dense gradients, in its arena; null when the group takes the plain path. */
  gradSumOfSquares(group: ParamGroup<O>): number | null {
    const arena = this.fusedGroup(group)?.arena;
    if (arena === undefined) return null;
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

  /** The group's states from `optimizer.state` again (it changed), none bound into the arena yet. */
  private readStates(group: ParamGroup<O>, fused: FusedGroup<S>): void {
    group.params.forEach((p, i) => (fused.states[i] = this.states.get(p)));
    fused.bound.fill(0);
    fused.version = (this.states as StateMap<Tensor, S>).version;
  }

  /**
   * The group's arena record when the fused path runs this step: the backend is WebAssembly and
   * the group's params are float32. Built on the group's first fused step, and built again when
   * its params or its arrays change (an option turned on live); null on the plain path,
   * including where an arena cannot be allocated.
   */
  private fusedGroup(group: ParamGroup<O>): FusedGroup<S> | null {
    if (kernelBackend() !== 'wasm') return null;
    const arrays = arenaArraysOf(this.spec, group);
    let built = this.arenas.get(group);
    if (built === undefined || built.arrays !== arrays || !sameTensors(built.params, group.params)) {
      const params = [...group.params];
      built = { arena: buildArena(params, arrays, this.spec), params, arrays, states: [], bound: new Uint8Array(params.length), version: -1 };
      this.arenas.set(group, built);
    }
    return built.arena === null ? null : (built as FusedGroup<S>);
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

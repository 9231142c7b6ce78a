/**
 * Runs: the parameters of one group that take one kernel call (spec.ts's `Run`), kept in lists
 * that are reused from step to step, and the splitting of a step's batch into runs whose states
 * agree. Both step runners use them (../runner.ts, wasm/runner.ts).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Gradient } from '../tensor/sparse.js';
import type { Run } from './spec.js';
import type { ParamArena } from './wasm/arena.js';

/** A run with no entries, whose lists keep their storage from step to step. */
export function emptyRun<S>(): Run<S> {
  return { arena: null, indices: [], params: [], grads: [], states: [], rows: null };
}

/** Writes entry k of a run in place. */
export function setInRun<S>(run: Run<S>, k: number, index: number, param: Tensor, grad: Gradient, state: S): void {
  run.indices[k] = index;
  run.params[k] = param;
  run.grads[k] = grad;
  run.states[k] = state;
}

/** Cuts a run's lists to `n` entries (a no-op when the step has as many as the last one). */
export function fitRun<S>(run: Run<S>, n: number): void {
  if (run.indices.length === n) return;
  run.indices.length = n;
  run.params.length = n;
  run.grads.length = n;
  run.states.length = n;
}

/**
 * Splits a batch into runs whose states agree (some parameters missed steps) and calls `each`
 * once per run. The runs are kept from step to step, so a partition that repeats allocates nothing.
 */
export class RunSplitter<S> {
  private readonly runs: Run<S>[] = [];
  private readonly sizes: number[] = [];

  constructor(private readonly sameRun: (a: S, b: S) => boolean) {}

  /** `each(run, context)` per run; `each` is made once by the caller, so a step allocates no closure. */
  forEachRun<C>(batch: Run<S>, context: C, each: (run: Run<S>, context: C) => void): void {
    let together = true;
    for (let k = 1; k < batch.states.length && together; k++) together = this.sameRun(batch.states[0]!, batch.states[k]!);
    if (together) return each(batch, context);
    const { runs, sizes } = this;
    let count = 0;
    for (let k = 0; k < batch.states.length; k++) {
      const state = batch.states[k]!;
      let r = 0;
      while (r < count && !this.sameRun(runs[r]!.states[0]!, state)) r++;
      if (r === count) {
        if (count === runs.length) runs.push(emptyRun());
        runs[r]!.arena = batch.arena;
        sizes[r] = 0;
        count++;
      }
      setInRun(runs[r]!, sizes[r]!++, batch.indices[k]!, batch.params[k]!, batch.grads[k]!, state);
    }
    for (let r = 0; r < count; r++) {
      const run = runs[r]!;
      fitRun(run, sizes[r]!);
      each(run, context);
      run.grads.fill(null as unknown as Gradient);
      run.arena = null;
    }
  }
}


/**
 * The listed params (ascending) of a fused plan, split into runs whose states agree: fresh runs
 * over `arena`, made when the plan changes and kept while it holds. Their index lists are frozen
 * (a lone run's is `indices` itself), so the arena knows its segment table is still the one
 * written for them. The gradients are in the arena: a fused run's `grads` is empty.
 */
export function partitionRuns<S>(arena: ParamArena, indices: readonly number[], params: readonly Tensor[], states: readonly S[], sameRun: (a: S, b: S) => boolean): Run<S>[] {
  const runs: Array<{ indices: number[]; params: Tensor[]; states: S[] }> = [];
  for (const i of indices) {
    const state = states[i]!;
    let run = runs.find((r) => sameRun(r.states[0]!, state));
    if (run === undefined) runs.push((run = { indices: [], params: [], states: [] }));
    run.indices.push(i);
    run.params.push(params[i]!);
    run.states.push(state);
  }
  return runs.map((r) => ({
    arena,
    indices: (runs.length === 1 ? indices : Object.freeze(r.indices)) as number[],
    params: r.params,
    grads: [],
    states: r.states,
    rows: null,
  }));
}

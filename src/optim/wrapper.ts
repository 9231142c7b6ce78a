/**
 * What Lookahead and SAM need from the optimizer they wrap, and what they share.
 *
 * A wrapper holds any optimizer — a descent class, or another wrapper (Lookahead over SAM) —
 * so it asks for a shape, not a class: groups of parameters, `step`, `zeroGrad` and a state
 * dict. It exposes the inner optimizer's `paramGroups` objects themselves, so a scheduler
 * that edits `group.lr` on the wrapper steers the inner optimizer.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { ZeroGradOptions } from './optimizer.js';

/** The part of an optimizer a wrapper relies on. `Optimizer` subclasses and the wrappers fit it. */
export interface OptimizerLike {
  readonly name: string;
  readonly paramGroups: ReadonlyArray<{ params: Tensor[] }>;
  step(closure?: () => Tensor | number | void): unknown;
  zeroGrad(options?: ZeroGradOptions): void;
  stateDict(): unknown;
  loadStateDict(stateDict: never): void;
  addParamGroup?(group: never): void;
}

/** Throws unless `inner` has the shape of an optimizer. */
export function checkWrappable(inner: unknown, wrapper: string): asserts inner is OptimizerLike {
  const o = inner as Partial<OptimizerLike> | null;
  if (
    o === null ||
    typeof o !== 'object' ||
    !Array.isArray(o.paramGroups) ||
    typeof o.step !== 'function' ||
    typeof o.zeroGrad !== 'function' ||
    typeof o.stateDict !== 'function' ||
    typeof o.loadStateDict !== 'function'
  ) {
    throw new TypeError(`${wrapper}: the first argument must be the optimizer to wrap (with paramGroups, step, zeroGrad, stateDict and loadStateDict), got ${o === null ? 'null' : typeof o}`);
  }
}

/** Every parameter of `inner`, in state-dict index order (group by group). */
export function parametersOf(inner: OptimizerLike): Tensor[] {
  return inner.paramGroups.flatMap((group) => group.params);
}

/** Throws `<wrapper>.loadStateDict: <msg>`. */
export function loadFailure(wrapper: string): (msg: string) => never {
  return (msg) => {
    throw new Error(`${wrapper}.loadStateDict: ${msg}`);
  };
}

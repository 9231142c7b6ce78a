/**
 * The kernel table the optimizer classes call on the plain path (kernel backend 'js'). Every
 * entry is a per-element loop over typed arrays (see ./sgd.ts for the conventions), the
 * reference the fused WebAssembly kernels (each spec's `fused` call) are checked against; both read
 * the per-step numbers of ./scalars.ts. `useKernels` swaps entries (a test's spy, an
 * instrumented loop) without touching the classes, their state or their state dicts.
 */
import { sgdUpdate, sgdMomentumUpdate } from './sgd.js';
import { adagradUpdate, adagradSparseUpdate } from './adagrad.js';
import { rmspropUpdate } from './rmsprop.js';
import { adamUpdate, adamDirectionSumOfSquares } from './adam.js';
import { adadeltaUpdate } from './adadelta.js';
import { adamaxUpdate } from './adamax.js';
import { nadamUpdate } from './nadam.js';
import { radamUpdate } from './radam.js';
import { sparseAdamUpdate } from './sparse_adam.js';
import { sumOfSquares } from './norms.js';

const reference = {
  sgdUpdate,
  sgdMomentumUpdate,
  adagradUpdate,
  adagradSparseUpdate,
  rmspropUpdate,
  adamUpdate,
  adamDirectionSumOfSquares,
  adadeltaUpdate,
  adamaxUpdate,
  nadamUpdate,
  radamUpdate,
  sparseAdamUpdate,
  sumOfSquares,
};

export type KernelTable = typeof reference;

/** The kernels in use (the plain TypeScript ones unless replaced). */
export const kernels: KernelTable = { ...reference };

/** The plain TypeScript kernels, for checking a replacement against them. */
export const referenceKernels: Readonly<KernelTable> = Object.freeze({ ...reference });

/** Replaces some kernels; returns a function that restores the ones replaced. */
export function useKernels(replacements: Partial<KernelTable>): () => void {
  const previous: Partial<KernelTable> = {};
  for (const key of Object.keys(replacements) as (keyof KernelTable)[]) {
    (previous as Record<string, unknown>)[key] = kernels[key];
    (kernels as Record<string, unknown>)[key] = replacements[key];
  }
  return () => Object.assign(kernels, previous);
}

export type { SgdHyper, SgdMomentumHyper } from './sgd.js';
export type { AdagradHyper } from './adagrad.js';
export type { RmspropHyper } from './rmsprop.js';
export type { AdamHyper } from './adam.js';
export type { AdadeltaHyper } from './adadelta.js';
export type { AdamaxHyper } from './adamax.js';
export type { NadamHyper } from './nadam.js';
export type { RadamHyper } from './radam.js';
export type { SparseAdamHyper } from './sparse_adam.js';

/**
 * Passes over an arena that several optimizers and clipping share: sums of squares (norms),
 * scaling gradients, and the per-param trust-ratio buffers of the layer-wise optimizers.
 * Each optimizer's own fused call lives in its spec file (../adam.ts: `adamFused`, ...).
 *
 * Nothing here allocates: tables and norms live in the arena, trust ratios in buffers reused
 * from call to call.
 */
import type { ParamArena } from './arena.js';

/** Which array of each param a norm pass reads. */
export type ArenaArray = 'param' | 'grad' | { state: string };

function arrayOffset(arena: ParamArena, which: ArenaArray): number {
  if (which === 'param') return 0;
  if (which === 'grad') return arena.gradOffset;
  return arena.stateOffset(which.state);
}

/**
 * Σx² of each listed param's array, in f64: entry k is `indices[k]`'s. A live view of the
 * arena's norm slots, overwritten by the next norm pass.
 */
export function sumOfSquares(arena: ParamArena, indices: readonly number[], which: ArenaArray): Float64Array {
  const segments = arena.writeSegments(indices, true);
  arena.kernels.sumSquares(arena.tableAddress, segments, arrayOffset(arena, which), arena.normsAddress);
  return arena.norms;
}

/** Σ‖g‖² over the listed params' gradients together. */
export function gradSumOfSquares(arena: ParamArena, indices: readonly number[]): number {
  const sums = sumOfSquares(arena, indices, 'grad');
  let total = 0;
  for (let k = 0; k < indices.length; k++) total += sums[k]!;
  return total;
}

/** Multiplies each listed param's gradient by `factor` (the second half of norm clipping). */
export function scaleGrads(arena: ParamArena, indices: readonly number[], factor: number): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.scaleSegments(arena.tableAddress, segments, arena.gradOffset, factor);
}

/** Per-param trust ratios (LAMB, LARS) and the scales made of them, reused from step to step. */
const buffersOf = new WeakMap<ParamArena, { ratios: Float64Array; scales: Float64Array }>();

export function trustBuffers(arena: ParamArena): { ratios: Float64Array; scales: Float64Array } {
  let buffers = buffersOf.get(arena);
  if (buffers === undefined) {
    const n = Math.max(1, arena.params.length);
    buffers = { ratios: new Float64Array(n), scales: new Float64Array(n) };
    buffersOf.set(arena, buffers);
  }
  return buffers;
}

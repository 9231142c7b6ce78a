/**
 * Rprop: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at } from '../lib/segments';

/** (x > 0) − (x < 0) as ±1 or 0; 0 for NaN, as PyTorch's vectorized `sign`. */
@inline function signOf(x: v128, one: v128): v128 {
  const zero = f32x4.splat(0);
  return f32x4.sub(v128.and(one, f32x4.gt(x, zero)), v128.and(one, f32x4.lt(x, zero)));
}

@inline function rpropVector(p: usize, gOff: i32, prevOff: i32, stepOff: i32, vsign: v128, vetaMinus: v128, vetaPlus: v128, vmin: v128, vmax: v128): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const g = f32x4.mul(vsign, v128.load(at(p, gOff)));
  const agreement = f32x4.mul(g, v128.load(at(p, prevOff)));
  const flips = f32x4.lt(agreement, zero);
  const factor = v128.bitselect(vetaPlus, v128.bitselect(vetaMinus, one, flips), f32x4.gt(agreement, zero));
  const eta = f32x4.min(f32x4.max(f32x4.mul(v128.load(at(p, stepOff)), factor), vmin), vmax);
  v128.store(at(p, stepOff), eta);
  const kept = v128.andnot(g, flips);
  v128.store(at(p, prevOff), kept);
  v128.store(p, f32x4.sub(v128.load(p), f32x4.mul(eta, signOf(kept, one))));
}

/**
 * Rprop.
 *   g = sign·g;  a = g·g_prev
 *   η = clamp(η·(a > 0 ? η₊ : a < 0 ? η₋ : 1), Γmin, Γmax)
 *   g = 0 where a < 0;  p = p − η·sign(g);  g_prev = g
 * @parallel
 */
export function rprop(table: usize, count: i32, gOff: i32, prevOff: i32, stepOff: i32, sign: f32, etaMinus: f32, etaPlus: f32, stepSizeMin: f32, stepSizeMax: f32): void {
  const vsign = f32x4.splat(sign);
  const vetaMinus = f32x4.splat(etaMinus);
  const vetaPlus = f32x4.splat(etaPlus);
  const vmin = f32x4.splat(stepSizeMin);
  const vmax = f32x4.splat(stepSizeMax);
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    for (let p = segmentAddress(table, s); p < end; p += 32) {
      rpropVector(p, gOff, prevOff, stepOff, vsign, vetaMinus, vetaPlus, vmin, vmax);
      rpropVector(p + 16, gOff, prevOff, stepOff, vsign, vetaMinus, vetaPlus, vmin, vmax);
    }
  }
}

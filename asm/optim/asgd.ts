/**
 * ASGD: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at } from '../lib/segments';

@inline function asgdVector(p: usize, gOff: i32, axOff: i32, vsign: v128, vwd: v128, veta: v128, vdecay: v128, vmu: v128, vkeep: v128): void {
  const w = v128.load(p);
  const g = f32x4.add(f32x4.mul(vsign, v128.load(at(p, gOff))), f32x4.mul(vwd, w));
  const next = f32x4.sub(f32x4.mul(vdecay, w), f32x4.mul(veta, g));
  v128.store(p, next);
  v128.store(at(p, axOff), f32x4.add(f32x4.mul(vmu, next), f32x4.mul(vkeep, v128.load(at(p, axOff)))));
}

/**
 * ASGD. `eta` and `mu` are this step's (kept in the state from the step before).
 *   g = sign·g + λ_wd·p;  p = (1 − λη)·p − η·g;  ax = μ·p + (1 − μ)·ax
 * @parallel
 */
export function asgd(table: usize, count: i32, gOff: i32, axOff: i32, sign: f32, weightDecay: f32, eta: f32, paramDecay: f32, mu: f64): void {
  const vsign = f32x4.splat(sign);
  const vwd = f32x4.splat(weightDecay);
  const veta = f32x4.splat(eta);
  const vdecay = f32x4.splat(paramDecay);
  const vmu = f32x4.splat(<f32>mu);
  const vkeep = f32x4.splat(<f32>(1 - mu));
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    for (let p = segmentAddress(table, s); p < end; p += 32) {
      asgdVector(p, gOff, axOff, vsign, vwd, veta, vdecay, vmu, vkeep);
      asgdVector(p + 16, gOff, axOff, vsign, vwd, veta, vdecay, vmu, vkeep);
    }
  }
}

/**
 * Adadelta: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, decayed, lerp } from '../lib/segments';

@inline function adadeltaVector(p: usize, gOff: i32, squareOff: i32, deltaOff: i32, vlr: v128, vrest: v128, veps: v128, vwd: v128, vsign: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const sq = lerp(v128.load(at(p, squareOff)), f32x4.mul(d, d), vrest);
  v128.store(at(p, squareOff), sq);
  const acc = v128.load(at(p, deltaOff));
  // √a/√b as √(a/b): one root instead of two (roots and divisions share one unit).
  const delta = f32x4.mul(f32x4.sqrt(f32x4.div(f32x4.add(acc, veps), f32x4.add(sq, veps))), d);
  v128.store(at(p, deltaOff), lerp(acc, f32x4.mul(delta, delta), vrest));
  v128.store(p, f32x4.sub(w, f32x4.mul(vlr, delta)));
}

/**
 * Adadelta.
 *   d = sign·g + λ·p;  A = ρ·A + (1 − ρ)·d²
 *   Δ = √((D + ε) / (A + ε)) · d;  D = ρ·D + (1 − ρ)·Δ²;  p = p − lr·Δ
 * @parallel
 */
export function adadelta(table: usize, count: i32, gOff: i32, squareOff: i32, deltaOff: i32, lr: f32, rho: f64, eps: f32, weightDecay: f32, sign: f32): void {
  const vlr = f32x4.splat(lr);
  const vrest = f32x4.splat(<f32>(1 - rho));
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        adadeltaVector(p, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, true);
        adadeltaVector(p + 16, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, true);
      }
    } else {
      for (; p < end; p += 32) {
        adadeltaVector(p, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, false);
        adadeltaVector(p + 16, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, false);
      }
    }
  }
}

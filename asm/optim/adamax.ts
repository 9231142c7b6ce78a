/**
 * Adamax: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, decayed, lerp } from '../lib/segments';

@inline function adamaxVector(p: usize, gOff: i32, mOff: i32, uOff: i32, vb1c: v128, vb2: v128, veps: v128, vwd: v128, vsign: v128, vclr: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const u = f32x4.max(f32x4.mul(vb2, v128.load(at(p, uOff))), f32x4.add(f32x4.abs(d), veps));
  v128.store(at(p, mOff), m);
  v128.store(at(p, uOff), u);
  v128.store(p, f32x4.sub(w, f32x4.mul(vclr, f32x4.div(m, u))));
}

/**
 * Adamax.
 *   d = sign·g + λ·p;  m = β₁·m + (1 − β₁)·d;  u = max(β₂·u, |d| + ε)
 *   p = p − clr·m/u,  clr = lr / (1 − β₁ᵗ)
 * @parallel
 */
export function adamax(table: usize, count: i32, gOff: i32, mOff: i32, uOff: i32, beta1: f64, beta2: f64, eps: f32, weightDecay: f32, sign: f32, clr: f32): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2 = f32x4.splat(<f32>beta2);
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vclr = f32x4.splat(clr);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        adamaxVector(p, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, true);
        adamaxVector(p + 16, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, true);
      }
    } else {
      for (; p < end; p += 32) {
        adamaxVector(p, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, false);
        adamaxVector(p + 16, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, false);
      }
    }
  }
}

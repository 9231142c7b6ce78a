/**
 * Adam and AdamW: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, decayed, lerp } from '../lib/segments';

@inline function adamVector(
  p: usize, gOff: i32, mOff: i32, vOff: i32, vMaxOff: i32,
  vb1c: v128, vb2c: v128, vss: v128, vbc: v128, veps: v128, vl2: v128, vdecay: v128, vsign: v128, plain: bool, amsgrad: bool,
): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vl2);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const v = lerp(v128.load(at(p, vOff)), f32x4.mul(d, d), vb2c);
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  let vHat = v;
  if (amsgrad) {
    vHat = f32x4.max(v128.load(at(p, vMaxOff)), v);
    v128.store(at(p, vMaxOff), vHat);
  }
  const den = f32x4.add(f32x4.mul(f32x4.sqrt(vHat), vbc), veps);
  const kept = plain ? w : f32x4.mul(vdecay, w);
  v128.store(p, f32x4.sub(kept, f32x4.mul(vss, f32x4.div(m, den))));
}

/**
 * Adam and AdamW (one kernel: AdamW is `decay = 1 − lr·λ`, `l2 = 0`; Adam is `decay = 1`).
 *   p = decay·p;  d = sign·g + l2·p_old
 *   m = β₁·m + (1 − β₁)·d;  v = β₂·v + (1 − β₂)·d²
 *   amsgrad: v̂ = max(v̂, v), else v̂ = v
 *   p = p − stepSize · m / (√v̂ · (1/√(1 − β₂ᵗ)) + ε),  stepSize = lr / (1 − β₁ᵗ)
 * Plain Adam (no decay, not maximizing) runs a loop without the three idle multiplications.
 * @parallel
 */
export function adam(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32, vMaxOff: i32,
  beta1: f64, beta2: f64, stepSize: f32, invSqrtBc2: f32, eps: f32, l2: f32, decay: f32, sign: f32, amsgrad: i32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vss = f32x4.splat(stepSize);
  const vbc = f32x4.splat(invSqrtBc2);
  const veps = f32x4.splat(eps);
  const vl2 = f32x4.splat(l2);
  const vdecay = f32x4.splat(decay);
  const vsign = f32x4.splat(sign);
  const plain = l2 == 0 && decay == 1 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain && !amsgrad) {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, false);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, false);
      }
    } else if (plain) {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, true);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, true);
      }
    } else if (amsgrad) {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, true);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, true);
      }
    } else {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, false);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, false);
      }
    }
  }
}

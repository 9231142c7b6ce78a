/**
 * NAdam: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, decayed, lerp } from '../lib/segments';

@inline function nadamVector(p: usize, gOff: i32, mOff: i32, vOff: i32, vb1c: v128, vb2c: v128, vbc: v128, veps: v128, vwd: v128, vsign: v128, vgc: v128, vmc: v128, vdecay: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const v = lerp(v128.load(at(p, vOff)), f32x4.mul(d, d), vb2c);
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  // PyTorch's two addcdiv_ calls over one denominator, as one division.
  const den = f32x4.add(f32x4.sqrt(f32x4.mul(v, vbc)), veps);
  // Decoupled weight decay shrinks θ before the step (PyTorch's `param.mul_(1 − lr·λ)`).
  const kept = plain ? w : f32x4.mul(vdecay, w);
  v128.store(p, f32x4.sub(kept, f32x4.div(f32x4.add(f32x4.mul(vgc, d), f32x4.mul(vmc, m)), den)));
}

/**
 * NAdam (Dozat 2016 with PyTorch's momentum schedule μₜ).
 *   d = sign·g + λ·p;  m = β₁·m + (1 − β₁)·d;  v = β₂·v + (1 − β₂)·d²
 *   den = √(v / (1 − β₂ᵗ)) + ε
 *   p = p − (gradCoef·d + momentumCoef·m)/den
 * with gradCoef = lr(1 − μₜ)/(1 − Πμ), momentumCoef = lr·μₜ₊₁/(1 − Πμ·μₜ₊₁).
 * @parallel
 */
export function nadam(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32,
  beta1: f64, beta2: f64, invBc2: f32, eps: f32, weightDecay: f32, sign: f32, gradCoef: f32, momentumCoef: f32, decay: f32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vbc = f32x4.splat(invBc2);
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vgc = f32x4.splat(gradCoef);
  const vmc = f32x4.splat(momentumCoef);
  const vdecay = f32x4.splat(decay);
  const plain = weightDecay == 0 && sign == 1 && decay == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        nadamVector(p, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, vdecay, true);
        nadamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, vdecay, true);
      }
    } else {
      for (; p < end; p += 32) {
        nadamVector(p, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, vdecay, false);
        nadamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, vdecay, false);
      }
    }
  }
}

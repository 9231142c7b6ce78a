/**
 * RAdam: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, decayed, lerp, timesUnlessZero } from '../lib/segments';

@inline function radamVector(p: usize, gOff: i32, mOff: i32, vOff: i32, vb1c: v128, vb2c: v128, vwd: v128, vsign: v128, vscale: v128, vnumer: v128, vsw: v128, vfloor: v128, vdecay: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const v = lerp(v128.load(at(p, vOff)), f32x4.mul(d, d), vb2c);
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  // Unrectified steps weigh √v by 0: an infinite v must not turn that into NaN.
  const adaptive = f32x4.div(vnumer, f32x4.add(timesUnlessZero(f32x4.sqrt(v), vsw), vfloor));
  // Decoupled weight decay shrinks θ before the step (PyTorch's `param.mul_(1 − lr·λ)`).
  const kept = plain ? w : f32x4.mul(vdecay, w);
  v128.store(p, f32x4.sub(kept, f32x4.mul(f32x4.mul(vscale, m), adaptive)));
}

/**
 * RAdam. The caller folds the rectification into three numbers:
 *   rectified (ρₜ > 5):  p = p − (m/(1 − β₁ᵗ))·lr·r · √(1 − β₂ᵗ) / (√v + ε)
 *                        → scale = lr·r/(1 − β₁ᵗ), numer = √(1 − β₂ᵗ), sqrtWeight = 1, floor = ε
 *   otherwise:           p = p − (m/(1 − β₁ᵗ))·lr
 *                        → scale = lr/(1 − β₁ᵗ), numer = 1, sqrtWeight = 0, floor = 1
 *   p = p − scale·m · numer / (sqrtWeight·√v + floor)
 * @parallel
 */
export function radam(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32,
  beta1: f64, beta2: f64, weightDecay: f32, sign: f32, scale: f32, numer: f32, sqrtWeight: f32, floor: f32, decay: f32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vscale = f32x4.splat(scale);
  const vnumer = f32x4.splat(numer);
  const vsw = f32x4.splat(sqrtWeight);
  const vfloor = f32x4.splat(floor);
  const vdecay = f32x4.splat(decay);
  const plain = weightDecay == 0 && sign == 1 && decay == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        radamVector(p, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, vdecay, true);
        radamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, vdecay, true);
      }
    } else {
      for (; p < end; p += 32) {
        radamVector(p, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, vdecay, false);
        radamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, vdecay, false);
      }
    }
  }
}

/**
 * RMSprop: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, decayed, lerp } from '../lib/segments';

@inline function rmspropVector(
  p: usize, gOff: i32, squareOff: i32, gradAvgOff: i32, bufOff: i32,
  vlr: v128, vrest: v128, veps: v128, vwd: v128, vsign: v128, vmu: v128, centered: bool, withMomentum: bool, plain: bool,
): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const sq = lerp(v128.load(at(p, squareOff)), f32x4.mul(d, d), vrest);
  v128.store(at(p, squareOff), sq);
  let den: v128;
  if (centered) {
    const ga = lerp(v128.load(at(p, gradAvgOff)), d, vrest);
    v128.store(at(p, gradAvgOff), ga);
    // v − ḡ² ≥ 0 in exact arithmetic; rounding (or ḡ² underflowing where v did not) must not make it NaN.
    den = f32x4.add(f32x4.sqrt(f32x4.max(f32x4.sub(sq, f32x4.mul(ga, ga)), f32x4.splat(0))), veps);
  } else {
    den = f32x4.add(f32x4.sqrt(sq), veps);
  }
  if (withMomentum) {
    const b = f32x4.add(f32x4.mul(vmu, v128.load(at(p, bufOff))), f32x4.div(d, den));
    v128.store(at(p, bufOff), b);
    v128.store(p, f32x4.sub(w, f32x4.mul(vlr, b)));
  } else {
    v128.store(p, f32x4.sub(w, f32x4.mul(vlr, f32x4.div(d, den))));
  }
}

@inline function rmspropLoop(
  p: usize, end: usize, gOff: i32, squareOff: i32, gradAvgOff: i32, bufOff: i32,
  vlr: v128, vrest: v128, veps: v128, vwd: v128, vsign: v128, vmu: v128, centered: bool, withMomentum: bool, plain: bool,
): void {
  for (; p < end; p += 32) {
    rmspropVector(p, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, centered, withMomentum, plain);
    rmspropVector(p + 16, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, centered, withMomentum, plain);
  }
}

/**
 * RMSprop, plain or centered, with or without momentum.
 *   d = sign·g + λ·p;  A = α·A + (1 − α)·d²
 *   centered: ḡ = α·ḡ + (1 − α)·d, den = √(A − ḡ²) + ε;  else den = √A + ε
 *   momentum > 0: b = μ·b + d/den, p = p − lr·b;  else p = p − lr·d/den
 * @parallel
 */
export function rmsprop(
  table: usize, count: i32, gOff: i32, squareOff: i32, gradAvgOff: i32, bufOff: i32,
  lr: f32, alpha: f64, eps: f32, weightDecay: f32, sign: f32, momentum: f64, centered: i32,
): void {
  const vlr = f32x4.splat(lr);
  const vrest = f32x4.splat(<f32>(1 - alpha));
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vmu = f32x4.splat(<f32>momentum);
  const withMomentum = momentum > 0;
  const plain = weightDecay == 0 && sign == 1;
  // One loop per combination of flags, so that no branch is left inside a loop.
  const variant = (centered ? 4 : 0) + (withMomentum ? 2 : 0) + (plain ? 1 : 0);
  for (let s = 0; s < count; s++) {
    const p = segmentAddress(table, s);
    const end = segmentEnd(table, s);
    if (variant == 0) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, false, false);
    else if (variant == 1) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, false, true);
    else if (variant == 2) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, true, false);
    else if (variant == 3) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, true, true);
    else if (variant == 4) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, false, false);
    else if (variant == 5) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, false, true);
    else if (variant == 6) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, true, false);
    else rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, true, true);
  }
}

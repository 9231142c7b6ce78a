/**
 * Norms and the LAMB / LARS passes: sums of squares, scaling, LAMB's direction: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentCount, segmentScale, segmentEnd, at, laneMask, squaresWide, decayTerm } from '../lib/segments';

/**
 * Σx² over [p, p + 4·n) exactly (masked tail), every square and sum in f64, as the plain
 * kernels take it: a square in f32 would underflow for |x| < 1e-19 (LARS and LAMB would then see
 * a zero norm and switch their trust ratio off) and overflow for |x| > 1.8e19.
 */
@inline function sumOfSquares(p: usize, n: i32): f64 {
  let total = f64x2.splat(0);
  const end = p + (<usize>(n & ~3) << 2);
  for (; p < end; p += 16) total = f64x2.add(total, squaresWide(v128.load(p)));
  if (n & 3) total = f64x2.add(total, squaresWide(v128.and(v128.load(p), laneMask(n & 3))));
  return f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
}

/**
 * Per segment, Σx² of the array at byte distance `off` from the parameter values (0: the
 * values themselves), over the exact element count; written as f64 at `out + 8·s`.
 */
export function sumSquares(table: usize, count: i32, off: i32, out: usize): void {
  for (let s = 0; s < count; s++) {
    store<f64>(out + (<usize>s << 3), sumOfSquares(at(segmentAddress(table, s), off), segmentCount(table, s)));
  }
}

/**
 * x = x·factor over every segment of the array at `off` (gradient clipping).
 * @parallel
 */
export function scaleSegments(table: usize, count: i32, off: i32, factor: f32): void {
  const vf = f32x4.splat(factor);
  for (let s = 0; s < count; s++) {
    const end = at(segmentEnd(table, s), off);
    for (let x = at(segmentAddress(table, s), off); x < end; x += 16) v128.store(x, f32x4.mul(v128.load(x), vf));
  }
}

@inline function lambVector(p: usize, gOff: i32, mOff: i32, vOff: i32, uOff: i32, vb1: v128, vb1c: v128, vb2: v128, vb2c: v128, vbc1: v128, vbc2: v128, veps: v128, vwd: v128, vgs: v128): v128 {
  const w = v128.load(p);
  const d = f32x4.mul(vgs, v128.load(at(p, gOff)));
  const m = f32x4.add(f32x4.mul(vb1, v128.load(at(p, mOff))), f32x4.mul(vb1c, d));
  const v = f32x4.add(f32x4.mul(vb2, v128.load(at(p, vOff))), f32x4.mul(vb2c, f32x4.mul(d, d)));
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  const u = f32x4.add(f32x4.div(f32x4.mul(m, vbc1), f32x4.add(f32x4.sqrt(f32x4.mul(v, vbc2)), veps)), decayTerm(w, vwd));
  v128.store(at(p, uOff), u);
  return u;
}

/**
 * LAMB's first pass: the Adam direction plus the decay term, written to the array at `uOff`
 * (a scratch region: the gradient is the caller's and stays as it was), and the two norms the
 * trust ratio needs, per segment (segments are whole parameters), in the same pass.
 *   d = gradScale·g;  m = β₁·m + (1 − β₁)·d;  v = β₂·v + (1 − β₂)·d²
 *   u = (m·invBc1) / (√(v·invBc2) + ε) + λ·p
 *   out[2s] = Σp², out[2s + 1] = Σu²   (exact counts, f64)
 */
export function lambDirection(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32, uOff: i32,
  beta1: f64, beta2: f64, invBc1: f32, invBc2: f32, eps: f32, weightDecay: f32, gradScale: f32, out: usize,
): void {
  const vb1 = f32x4.splat(<f32>beta1);
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2 = f32x4.splat(<f32>beta2);
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vbc1 = f32x4.splat(invBc1);
  const vbc2 = f32x4.splat(invBc2);
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vgs = f32x4.splat(gradScale);
  for (let s = 0; s < count; s++) {
    const n = segmentCount(table, s);
    let p = segmentAddress(table, s);
    const bodyEnd = p + (<usize>(n & ~3) << 2);
    let weights = f64x2.splat(0);
    let updates = f64x2.splat(0);
    for (; p < bodyEnd; p += 16) {
      const w = v128.load(p);
      const u = lambVector(p, gOff, mOff, vOff, uOff, vb1, vb1c, vb2, vb2c, vbc1, vbc2, veps, vwd, vgs);
      weights = f64x2.add(weights, squaresWide(w));
      updates = f64x2.add(updates, squaresWide(u));
    }
    if (n & 3) {
      const inside = laneMask(n & 3);
      const w = v128.and(v128.load(p), inside);
      const u = v128.and(lambVector(p, gOff, mOff, vOff, uOff, vb1, vb1c, vb2, vb2c, vbc1, vbc2, veps, vwd, vgs), inside);
      weights = f64x2.add(weights, squaresWide(w));
      updates = f64x2.add(updates, squaresWide(u));
    }
    store<f64>(out + (<usize>s << 4), f64x2.extract_lane(weights, 0) + f64x2.extract_lane(weights, 1));
    store<f64>(out + (<usize>s << 4), f64x2.extract_lane(updates, 0) + f64x2.extract_lane(updates, 1), 8);
  }
}

/**
 * p = p − scale_s·x over each segment, x at `off` (LAMB's second pass: scale_s = lr·r_s).
 * @parallel
 */
export function subtractScaled(table: usize, count: i32, off: i32): void {
  for (let s = 0; s < count; s++) {
    const vscale = f32x4.splat(segmentScale(table, s));
    const end = segmentEnd(table, s);
    for (let p = segmentAddress(table, s); p < end; p += 16) {
      v128.store(p, f32x4.sub(v128.load(p), f32x4.mul(vscale, v128.load(at(p, off)))));
    }
  }
}

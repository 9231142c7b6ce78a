/**
 * SGD and LARS (the trust ratio arrives as each segment's scale): fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentScale, segmentEnd, at, decayed } from '../lib/segments';

@inline function sgdVector(p: usize, gOff: i32, bufOff: i32, vlr: v128, vwd: v128, vsign: v128, vscale: v128, vmu: v128, vkeep: v128, mode: i32): void {
  const w = v128.load(p);
  const d = f32x4.mul(decayed(v128.load(at(p, gOff)), w, vsign, vwd), vscale);
  if (mode == 0) {
    v128.store(p, f32x4.sub(w, f32x4.mul(vlr, d)));
    return;
  }
  const b = mode == 1 || mode == 2 ? d : f32x4.add(f32x4.mul(vmu, v128.load(at(p, bufOff))), f32x4.mul(vkeep, d));
  v128.store(at(p, bufOff), b);
  const step = mode == 2 || mode == 4 ? f32x4.add(d, f32x4.mul(vmu, b)) : b;
  v128.store(p, f32x4.sub(w, f32x4.mul(vlr, step)));
}

/**
 * SGD with momentum, dampening, Nesterov, L2 weight decay and maximize.
 *   d = (sign·g + λ·p)·scale            (scale: the segment's LARS trust ratio, else 1)
 *   first step:  b = d                  later: b = μ·b + (1 − τ)·d
 *   nesterov: d = d + μ·b, else d = b   (no momentum: d stays)
 *   p = p − lr·d
 * @parallel
 */
export function sgd(
  table: usize, count: i32, gOff: i32, bufOff: i32,
  lr: f32, weightDecay: f32, sign: f32, momentum: f64, dampening: f64, nesterov: i32, firstStep: i32,
): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vmu = f32x4.splat(<f32>momentum);
  const vkeep = f32x4.splat(<f32>(1 - dampening));
  // mode: 0 no momentum; 1 first step; 2 first step, Nesterov; 3 momentum; 4 momentum, Nesterov.
  const mode = momentum == 0 ? 0 : (firstStep ? 1 : 3) + (nesterov ? 1 : 0);
  for (let s = 0; s < count; s++) {
    const vscale = f32x4.splat(segmentScale(table, s));
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    // One loop per mode, so that no branch is left inside a loop.
    if (mode == 0) {
      for (; p < end; p += 32) {
        sgdVector(p, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 0);
        sgdVector(p + 16, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 0);
      }
    } else if (mode == 1) {
      for (; p < end; p += 32) {
        sgdVector(p, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 1);
        sgdVector(p + 16, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 1);
      }
    } else if (mode == 2) {
      for (; p < end; p += 32) {
        sgdVector(p, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 2);
        sgdVector(p + 16, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 2);
      }
    } else if (mode == 3) {
      for (; p < end; p += 32) {
        sgdVector(p, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 3);
        sgdVector(p + 16, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 3);
      }
    } else {
      for (; p < end; p += 32) {
        sgdVector(p, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 4);
        sgdVector(p + 16, gOff, bufOff, vlr, vwd, vsign, vscale, vmu, vkeep, 4);
      }
    }
  }
}

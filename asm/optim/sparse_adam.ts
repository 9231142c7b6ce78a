/**
 * SparseAdam, on coalesced rows: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { laneMask } from '../lib/segments';

@inline function sparseAdamVector(p: usize, mAddress: usize, vAddress: usize, g: v128, vb1c: v128, vb2c: v128, vss: v128, veps: v128, keep: v128): void {
  const w = v128.load(p);
  const oldM = v128.load(mAddress);
  const oldV = v128.load(vAddress);
  // PyTorch's form: old ← old + (1 − β)·(new − old), so untouched rows never decay.
  const m = f32x4.add(oldM, f32x4.mul(f32x4.sub(g, oldM), vb1c));
  const v = f32x4.add(oldV, f32x4.mul(f32x4.sub(f32x4.mul(g, g), oldV), vb2c));
  v128.store(mAddress, v128.bitselect(m, oldM, keep));
  v128.store(vAddress, v128.bitselect(v, oldV, keep));
  const next = f32x4.sub(w, f32x4.mul(vss, f32x4.div(m, f32x4.add(f32x4.sqrt(v), veps))));
  v128.store(p, v128.bitselect(next, w, keep));
}

/**
 * SparseAdam on coalesced rows: only the listed rows of m, v and p change.
 *   m = m + (1 − β₁)(g − m);  v = v + (1 − β₂)(g² − v)
 *   p = p − stepSize · m/(√v + ε),  stepSize = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)
 */
export function sparseAdamRows(
  param: usize, mBase: usize, vBase: usize, values: usize, indices: usize, rows: i32, width: i32,
  beta1: f64, beta2: f64, eps: f32, stepSize: f32, sign: f32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vss = f32x4.splat(stepSize);
  const veps = f32x4.splat(eps);
  const vsign = f32x4.splat(sign);
  const all = i32x4.splat(-1);
  const tail = laneMask(width & 3);
  const rowBytes = <usize>width << 2;
  const bodyBytes = <usize>(width & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const rowOffset = <usize>load<i32>(indices + (<usize>r << 2)) * rowBytes;
    const g = values + <usize>r * rowBytes;
    const p = param + rowOffset;
    const m = mBase + rowOffset;
    const v = vBase + rowOffset;
    let j: usize = 0;
    for (; j < bodyBytes; j += 16) sparseAdamVector(p + j, m + j, v + j, f32x4.mul(vsign, v128.load(g + j)), vb1c, vb2c, vss, veps, all);
    if (j < rowBytes) sparseAdamVector(p + j, m + j, v + j, f32x4.mul(vsign, v128.load(g + j)), vb1c, vb2c, vss, veps, tail);
  }
}

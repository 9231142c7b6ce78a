/**
 * Adagrad, dense and on coalesced rows: fused updates, one pass over params, grads and state, in place, f32x4 SIMD.
 * Conventions and memory layout: asm/lib/segments.ts.
 */
import { segmentAddress, segmentEnd, at, laneMask, decayed } from '../lib/segments';

@inline function adagradVector(p: usize, gOff: i32, sumOff: i32, vclr: v128, vwd: v128, vsign: v128, veps: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const sum = f32x4.add(v128.load(at(p, sumOff)), f32x4.mul(d, d));
  v128.store(at(p, sumOff), sum);
  v128.store(p, f32x4.sub(w, f32x4.mul(vclr, f32x4.div(d, f32x4.add(f32x4.sqrt(sum), veps)))));
}

/**
 * Adagrad, dense.
 *   d = sign·g + λ·p;  S = S + d²;  p = p − clr·d / (√S + ε)
 * `clr = lr / (1 + (t − 1)·lr_decay)` comes from the caller.
 * @parallel
 */
export function adagrad(table: usize, count: i32, gOff: i32, sumOff: i32, clr: f32, weightDecay: f32, sign: f32, eps: f32): void {
  const vclr = f32x4.splat(clr);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const veps = f32x4.splat(eps);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        adagradVector(p, gOff, sumOff, vclr, vwd, vsign, veps, true);
        adagradVector(p + 16, gOff, sumOff, vclr, vwd, vsign, veps, true);
      }
    } else {
      for (; p < end; p += 32) {
        adagradVector(p, gOff, sumOff, vclr, vwd, vsign, veps, false);
        adagradVector(p + 16, gOff, sumOff, vclr, vwd, vsign, veps, false);
      }
    }
  }
}

@inline function adagradRowVector(p: usize, sumAddress: usize, g: v128, vclr: v128, vsign: v128, veps: v128, keep: v128): void {
  const w = v128.load(p);
  const oldSum = v128.load(sumAddress);
  const d = f32x4.mul(vsign, g);
  const sum = f32x4.add(oldSum, f32x4.mul(d, d));
  v128.store(sumAddress, v128.bitselect(sum, oldSum, keep));
  const next = f32x4.sub(w, f32x4.mul(vclr, f32x4.div(d, f32x4.add(f32x4.sqrt(sum), veps))));
  v128.store(p, v128.bitselect(next, w, keep));
}

/**
 * Adagrad on coalesced rows (PyTorch's sparse path): only the listed rows of S and p change.
 * `param` and `sum` are the addresses of row 0; `values` holds `rows` rows of `width` values.
 */
export function adagradRows(param: usize, sum: usize, values: usize, indices: usize, rows: i32, width: i32, clr: f32, sign: f32, eps: f32): void {
  const vclr = f32x4.splat(clr);
  const vsign = f32x4.splat(sign);
  const veps = f32x4.splat(eps);
  const all = i32x4.splat(-1);
  const tail = laneMask(width & 3);
  const rowBytes = <usize>width << 2;
  const bodyBytes = <usize>(width & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const rowOffset = <usize>load<i32>(indices + (<usize>r << 2)) * rowBytes;
    const g = values + <usize>r * rowBytes;
    let j: usize = 0;
    for (; j < bodyBytes; j += 16) adagradRowVector(param + rowOffset + j, sum + rowOffset + j, v128.load(g + j), vclr, vsign, veps, all);
    if (j < rowBytes) adagradRowVector(param + rowOffset + j, sum + rowOffset + j, v128.load(g + j), vclr, vsign, veps, tail);
  }
}

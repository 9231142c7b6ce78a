/**
 * Adafactor: one call per parameter tensor, at explicit addresses (its step size and its
 * clipping read the tensor's own RMS). The update U is never stored: one pass sums U², the next
 * recomputes U and applies it. Rows of a factored tensor are not padded, so a row whose width is
 * not a multiple of four ends with a masked vector.
 */
import { laneMask, widen } from '../lib/segments';

/** Σx² over n values at x, in f64 (masked tail). */
@inline function squaresOf(x: usize, n: i32): f64 {
  let total = f64x2.splat(0);
  const end = x + (<usize>(n & ~3) << 2);
  let q = x;
  for (; q < end; q += 16) {
    const v = v128.load(q);
    total = f64x2.add(total, widen(f32x4.mul(v, v)));
  }
  if (n & 3) {
    const v = v128.and(v128.load(q), laneMask(n & 3));
    total = f64x2.add(total, widen(f32x4.mul(v, v)));
  }
  return f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
}

@inline function absoluteStep(param: usize, n: i32, relativeStep: f64, eps2: f64): f64 {
  return max(eps2, sqrt(squaresOf(param, n) / <f64>n)) * relativeStep;
}

@inline function clipFactor(updateSquares: f64, n: i32, clipThreshold: f64): f64 {
  return 1 / max(1, sqrt(updateSquares / <f64>n) / clipThreshold);
}

/**
 * Adafactor for a tensor of at most one dimension (full second moment V̂ at `variance`):
 *   α = max(ε₂, RMS(θ))·ρ;  V̂ = V̂ + ω(G² − V̂);  U = G / √max(V̂, ε₁²)
 *   θ = (1 − γλ)θ − α·U / max(1, RMS(U)/d)
 * n counts the values; the padded tail up to a multiple of 8 is computed and never read.
 */
export function adafactorVector(param: usize, grad: usize, variance: usize, n: i32, sign: f32, beta2Complement: f64, relativeStep: f64, eps1: f64, eps2: f64, paramDecay: f32, clipThreshold: f64): void {
  const alpha = absoluteStep(param, n, relativeStep, eps2);
  const vsign = f32x4.splat(sign);
  const vw = f32x4.splat(<f32>beta2Complement);
  const vfloor = f32x4.splat(<f32>(eps1 * eps1));
  const end = (<usize>n & ~3) << 2;
  let updates = f64x2.splat(0);
  let j: usize = 0;
  for (; j < end; j += 16) {
    const g = f32x4.mul(vsign, v128.load(grad + j));
    const old = v128.load(variance + j);
    const v = f32x4.add(old, f32x4.mul(vw, f32x4.sub(f32x4.mul(g, g), old)));
    v128.store(variance + j, v);
    updates = f64x2.add(updates, widen(f32x4.div(f32x4.mul(g, g), f32x4.max(v, vfloor))));
  }
  if (n & 3) {
    const inside = laneMask(n & 3);
    const g = f32x4.mul(vsign, v128.load(grad + j));
    const old = v128.load(variance + j);
    const v = f32x4.add(old, f32x4.mul(vw, f32x4.sub(f32x4.mul(g, g), old)));
    v128.store(variance + j, v);
    updates = f64x2.add(updates, widen(v128.and(f32x4.div(f32x4.mul(g, g), f32x4.max(v, vfloor)), inside)));
  }
  const step = f32x4.splat(<f32>(alpha * clipFactor(f64x2.extract_lane(updates, 0) + f64x2.extract_lane(updates, 1), n, clipThreshold)));
  const vdecay = f32x4.splat(paramDecay);
  const padded = (<usize>((n + 7) & ~7)) << 2;
  for (j = 0; j < padded; j += 16) {
    const g = f32x4.mul(vsign, v128.load(grad + j));
    const u = f32x4.div(g, f32x4.sqrt(f32x4.max(v128.load(variance + j), vfloor)));
    v128.store(param + j, f32x4.sub(f32x4.mul(vdecay, v128.load(param + j)), f32x4.mul(step, u)));
  }
}

/** Σ_c G²/max(r·C_c, ε₁²) over one row of `cols` values (U² before the sign, which squares away). */
@inline function rowUpdateSquares(g: usize, colVar: usize, cols: i32, vrow: v128, vfloor: v128): f64 {
  let total = f64x2.splat(0);
  const end = (<usize>cols & ~3) << 2;
  let j: usize = 0;
  for (; j < end; j += 16) {
    const d = v128.load(g + j);
    total = f64x2.add(total, widen(f32x4.div(f32x4.mul(d, d), f32x4.max(f32x4.mul(vrow, v128.load(colVar + j)), vfloor))));
  }
  if (cols & 3) {
    const d = v128.load(g + j);
    const u2 = f32x4.div(f32x4.mul(d, d), f32x4.max(f32x4.mul(vrow, v128.load(colVar + j)), vfloor));
    total = f64x2.add(total, widen(v128.and(u2, laneMask(cols & 3))));
  }
  return f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
}

/** θ = decay·θ − step·G/√max(r·C, floor) over one row; lanes past the row keep their values. */
@inline function rowApply(p: usize, g: usize, colVar: usize, cols: i32, vsign: v128, vrow: v128, vfloor: v128, vdecay: v128, vstep: v128): void {
  const end = (<usize>cols & ~3) << 2;
  let j: usize = 0;
  for (; j < end; j += 16) {
    const d = f32x4.mul(vsign, v128.load(g + j));
    const u = f32x4.div(d, f32x4.sqrt(f32x4.max(f32x4.mul(vrow, v128.load(colVar + j)), vfloor)));
    v128.store(p + j, f32x4.sub(f32x4.mul(vdecay, v128.load(p + j)), f32x4.mul(vstep, u)));
  }
  if (cols & 3) {
    const w = v128.load(p + j);
    const d = f32x4.mul(vsign, v128.load(g + j));
    const u = f32x4.div(d, f32x4.sqrt(f32x4.max(f32x4.mul(vrow, v128.load(colVar + j)), vfloor)));
    v128.store(p + j, v128.bitselect(f32x4.sub(f32x4.mul(vdecay, w), f32x4.mul(vstep, u)), w, laneMask(cols & 3)));
  }
}

/**
 * Adafactor for a tensor of two or more dimensions, read as `batches` matrices of
 * `rows × cols`: row means R at `rowVar` (rows per matrix), column means C at `colVar` (cols
 * per matrix). Vectors may read up to three values past the end of each array; the caller
 * leaves that room.
 *   R = R + ω(mean_c G² − R);  C = C + ω(mean_r G² − C);  V̂ = R·C / max(mean_r R, ε₁)
 *   then the update as for a vector, clipped by the whole tensor's RMS(U).
 */
export function adafactorFactored(
  param: usize, grad: usize, rowVar: usize, colVar: usize, batches: i32, rows: i32, cols: i32,
  sign: f32, beta2Complement: f64, relativeStep: f64, eps1: f64, eps2: f64, paramDecay: f32, clipThreshold: f64,
): void {
  const n = batches * rows * cols;
  const alpha = absoluteStep(param, n, relativeStep, eps2);
  const vsign = f32x4.splat(sign);
  const vfloor = f32x4.splat(<f32>(eps1 * eps1));
    const rowBytes = <usize>cols << 2;
  const matrixBytes = <usize>rows * rowBytes;
  const s2 = <f64>sign * <f64>sign;
  const w = beta2Complement;
  let updateSquares: f64 = 0;
  for (let b = 0; b < batches; b++) {
    const g0 = grad + <usize>b * matrixBytes;
    const r0 = rowVar + (<usize>(b * rows) << 2);
    const c0 = colVar + <usize>b * rowBytes;
    let rowVarSum: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const old = <f64>load<f32>(r0 + (<usize>r << 2));
      const next = <f32>(old + w * ((s2 * squaresOf(g0 + <usize>r * rowBytes, cols)) / <f64>cols - old));
      store<f32>(r0 + (<usize>r << 2), next);
      rowVarSum += <f64>next;
    }
    // Column sums four columns at a time, down the rows (f64, two lanes per half).
    for (let c = 0; c < cols; c += 4) {
      let lo = f64x2.splat(0);
      let hi = f64x2.splat(0);
      for (let r = 0; r < rows; r++) {
        const v = v128.load(g0 + <usize>r * rowBytes + (<usize>c << 2));
        const sq = f32x4.mul(v, v);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(sq));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(sq, sq, 2, 3, 0, 1)));
      }
      const scale = f64x2.splat(s2 / <f64>rows);
      const q = c0 + (<usize>c << 2);
      const old = v128.load(q);
      const oldLo = f64x2.promote_low_f32x4(old);
      const oldHi = f64x2.promote_low_f32x4(v128.shuffle<f32>(old, old, 2, 3, 0, 1));
      const vw = f64x2.splat(w);
      const nextLo = f64x2.add(oldLo, f64x2.mul(vw, f64x2.sub(f64x2.mul(scale, lo), oldLo)));
      const nextHi = f64x2.add(oldHi, f64x2.mul(vw, f64x2.sub(f64x2.mul(scale, hi), oldHi)));
      const next = v128.shuffle<f32>(f32x4.demote_f64x2_zero(nextLo), f32x4.demote_f64x2_zero(nextHi), 0, 1, 4, 5);
      // Lanes past the last column read the next row: leave what lies there as it was.
      v128.store(q, v128.bitselect(next, old, laneMask(cols - c)));
    }
    const rowScale = 1 / max(rowVarSum / <f64>rows, eps1);
    for (let r = 0; r < rows; r++) {
      const vrow = f32x4.splat(<f32>(<f64>load<f32>(r0 + (<usize>r << 2)) * rowScale));
      updateSquares += s2 * rowUpdateSquares(g0 + <usize>r * rowBytes, c0, cols, vrow, vfloor);
    }
  }
  const vstep = f32x4.splat(<f32>(alpha * clipFactor(updateSquares, n, clipThreshold)));
  const vdecay = f32x4.splat(paramDecay);
  for (let b = 0; b < batches; b++) {
    const g0 = grad + <usize>b * matrixBytes;
    const p0 = param + <usize>b * matrixBytes;
    const r0 = rowVar + (<usize>(b * rows) << 2);
    const c0 = colVar + <usize>b * rowBytes;
    let rowVarSum: f64 = 0;
    for (let r = 0; r < rows; r++) rowVarSum += <f64>load<f32>(r0 + (<usize>r << 2));
    const rowScale = 1 / max(rowVarSum / <f64>rows, eps1);
    for (let r = 0; r < rows; r++) {
      const vrow = f32x4.splat(<f32>(<f64>load<f32>(r0 + (<usize>r << 2)) * rowScale));
      rowApply(p0 + <usize>r * rowBytes, g0 + <usize>r * rowBytes, c0, cols, vsign, vrow, vfloor, vdecay, vstep);
    }
  }
}

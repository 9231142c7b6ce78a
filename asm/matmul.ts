/**
 * C = op(A)·op(B) (+ C, or + a bias row, then optionally ReLU) for f32 matrices, f32x4 SIMD,
 * blocked for the caches. Every operand is addressed through byte strides, so a transposed
 * operand, a sub-range of rows or an operand that already lives in this memory (a parameter in
 * an optimizer arena) is read in place:
 *   A[i, p] at a + i·aRowStride + p·aStepStride      (m × k)
 *   B[p, j] at b + p·bStepStride + j·bColStride      (k × n)
 *   C[i, j] at c + i·cRowStride + 4j                 (m × n)
 * The three products of a layer (y = x·Wᵀ, dx = dy·W, dW = dyᵀ·x) are all one call each.
 *
 * The loops, BLIS's: for each block of KC steps of the depth and MC rows of A, the block of A
 * is packed into `work` as micro-panels of MR rows (panel[q·MR + r] = A[i + r, p0 + q]:
 * 128 KiB, in L2); for each strip of NR columns, the strip of B is packed as KC × NR (8 KiB:
 * it stays in L1 while the micro-panels of A stream past it; read in place, rows of B a
 * power-of-two stride apart would fight over cache sets). Packing is where transposes turn into
 * rows and where ragged edges are padded with zeros, so the micro-kernel has no edges: it keeps
 * an MR × NR block of C in registers,
 *   for q in block:  b₀, b₁ = panelB[q];  for r < MR:  c[r] += panelA[q, r] · (b₀, b₁)
 * and a block that overhangs C runs on a small tile in `work`, copied in and out.
 *
 * The output pass: on the first block of the depth, the accumulators start from C
 * (`accumulate`), from the bias row `bias` (a byte address of n rounded up to NR floats), or
 * from zero (bias = 0); on the last block, `relu` maps each value v to v > 0 ? v : 0 (NaN to 0,
 * as the engine's ReLU) before the store. So a layer's y = relu(x·Wᵀ + b) is one pass over C.
 *
 * With relaxed SIMD (the second build, asm `--enable relaxed-simd`), each multiply-add is one
 * `f32x4.relaxed_madd`, a fused multiply-add where the CPU has one: one rounding per term rather
 * than two.
 */

/** Steps of the depth per packed block. */
const KC: i32 = 256;
/** Rows of A per packed block (MC × KC floats = 128 KiB). */
const MC: i32 = 128;
/** The register block: MR rows by NR columns (two f32x4 vectors). */
const MR: i32 = 4;
const NR: i32 = 8;

const PANEL_A_BYTES: usize = <usize>(MC * KC) << 2;
const PANEL_B_BYTES: usize = <usize>(KC * NR) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

/** Bytes of `work` that one call needs (its packed blocks and edge tile); calls on separate rows may run at once with separate `work`. */
export function workspaceBytes(): i32 {
  return <i32>(PANEL_A_BYTES + PANEL_B_BYTES + TILE_BYTES);
}

/** x + y·z, fused where the build has relaxed SIMD. */
@inline function madd(x: v128, y: v128, z: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(y, z, x);
  return f32x4.add(x, f32x4.mul(y, z));
}

/** v > 0 ? v : 0 in every lane (NaN and −0 give +0). */
@inline function relu(v: v128): v128 {
  return v128.and(v, f32x4.gt(v, f32x4.splat(0)));
}

/**
 * The 4 × 4 block of floats whose rows start `rowStride` bytes apart from `src`, transposed:
 * its columns stored as rows `dstStride` bytes apart from `dst`.
 */
@inline function transpose4(src: usize, rowStride: usize, dst: usize, dstStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + rowStride);
  const r2 = v128.load(src + 2 * rowStride);
  const r3 = v128.load(src + 3 * rowStride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs rows [i0, i0 + rows) × steps [p0, p0 + depth) of A as micro-panels of MR rows,
 * panel[(i / MR)·depth·MR + q·MR + r], rows past `rows` zero.
 */
@inline function packA(a: usize, aRowStride: usize, aStepStride: usize, i0: i32, rows: i32, p0: i32, depth: i32, panel: usize): void {
  let dst = panel;
  for (let i = 0; i < rows; i += MR) {
    const full = min(MR, rows - i);
    const first = a + <usize>(i0 + i) * aRowStride + <usize>p0 * aStepStride;
    if (full == MR && aRowStride == 4) {
      // A stored transposed: the MR values of a step are adjacent.
      let src = first;
      for (let q = 0; q < depth; q++, src += aStepStride, dst += 16) v128.store(dst, v128.load(src));
    } else if (full == MR && aStepStride == 4 && (depth & 3) == 0) {
      // A stored as is: four steps of the MR rows, transposed in registers.
      let src = first;
      for (let q = 0; q < depth; q += 4, src += 16, dst += 64) {
        transpose4(src, aRowStride, dst, 16);
      }
    } else {
      let src = first;
      for (let q = 0; q < depth; q++, src += aStepStride, dst += 16) {
        v128.store(dst, f32x4.splat(0));
        let row = src;
        for (let r = 0; r < full; r++, row += aRowStride) f32.store(dst + (<usize>r << 2), f32.load(row));
      }
    }
  }
}

/** Packs steps [p0, p0 + depth) × columns [j, j + NR) of B as panel[q·NR + c], columns past `cols` zero. */
@inline function packB(b: usize, bStepStride: usize, bColStride: usize, p0: i32, depth: i32, j: i32, cols: i32, panel: usize): void {
  const first = b + <usize>p0 * bStepStride + <usize>j * bColStride;
  let dst = panel;
  const end = panel + (<usize>depth << 5);
  if (cols == NR && bColStride == 4) {
    // B stored as is: a strip row is 8 adjacent values.
    for (let src = first; dst < end; dst += 32, src += bStepStride) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
    }
  } else if (cols == NR && bStepStride == 4 && (depth & 3) == 0) {
    // B stored transposed (n × k): four steps of each of the 8 columns, transposed in registers.
    for (let src = first; dst < end; dst += 128, src += 16) {
      transpose4(src, bColStride, dst, 32);
      transpose4(src + 4 * bColStride, bColStride, dst + 16, 32);
    }
  } else {
    for (let src = first; dst < end; dst += 32, src += bStepStride) {
      v128.store(dst, f32x4.splat(0));
      v128.store(dst, f32x4.splat(0), 16);
      let at = src;
      for (let c = 0; c < cols; c++, at += bColStride) f32.store(dst + (<usize>c << 2), f32.load(at));
    }
  }
}

/**
 * The MR × NR block of C at `c` (rows `cRow` bytes apart) plus a micro-panel of A times the
 * B strip, over `depth` steps. Starts from C, or (`fromBias`) from the bias row at `bias`
 * (zero when bias = 0); applies ReLU before the store when `relu`.
 */
@inline function microKernel(panelA: usize, panelB: usize, depth: i32, c: usize, cRow: usize, fromBias: bool, bias: usize, applyRelu: bool): void {
  const c0 = c;
  const c1 = c0 + cRow;
  const c2 = c1 + cRow;
  const c3 = c2 + cRow;
  let x00: v128, x01: v128, x10: v128, x11: v128, x20: v128, x21: v128, x30: v128, x31: v128;
  if (fromBias) {
    const zero = f32x4.splat(0);
    const b0 = bias != 0 ? v128.load(bias) : zero;
    const b1 = bias != 0 ? v128.load(bias, 16) : zero;
    x00 = b0; x01 = b1; x10 = b0; x11 = b1; x20 = b0; x21 = b1; x30 = b0; x31 = b1;
  } else {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
  }
  let pa = panelA;
  const end = panelB + (<usize>depth << 5);
  for (let pb = panelB; pb < end; pb += 32, pa += 16) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const y0 = v128.load32_splat(pa);
    x00 = madd(x00, y0, b0);
    x01 = madd(x01, y0, b1);
    const y1 = v128.load32_splat(pa, 4);
    x10 = madd(x10, y1, b0);
    x11 = madd(x11, y1, b1);
    const y2 = v128.load32_splat(pa, 8);
    x20 = madd(x20, y2, b0);
    x21 = madd(x21, y2, b1);
    const y3 = v128.load32_splat(pa, 12);
    x30 = madd(x30, y3, b0);
    x31 = madd(x31, y3, b1);
  }
  if (applyRelu) {
    x00 = relu(x00); x01 = relu(x01); x10 = relu(x10); x11 = relu(x11);
    x20 = relu(x20); x21 = relu(x21); x30 = relu(x30); x31 = relu(x31);
  }
  v128.store(c0, x00); v128.store(c0, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** Copies a rows × cols corner of C (rows cRow bytes apart) to or from the NR-wide tile. */
@inline function copyTile(c: usize, cRow: usize, tile: usize, rows: i32, cols: i32, toTile: bool): void {
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * cRow;
    const slot = tile + (<usize>(r * NR) << 2);
    for (let j = 0; j < cols; j++) {
      const off = <usize>j << 2;
      if (toTile) f32.store(slot + off, f32.load(row + off));
      else f32.store(row + off, f32.load(slot + off));
    }
  }
}

export function gemm(
  a: usize, aRowStride: usize, aStepStride: usize,
  b: usize, bStepStride: usize, bColStride: usize,
  c: usize, cRowStride: usize,
  accumulate: bool, bias: usize, applyRelu: bool,
  work: usize, m: i32, k: i32, n: i32,
): void {
  const panelA = work;
  const panelB = work + PANEL_A_BYTES;
  const tile = panelB + PANEL_B_BYTES;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const depth = min(KC, k - p0);
    const fromBias = p0 == 0 && !accumulate;
    const last = p0 + KC >= k;
    const reluHere = last && applyRelu;
    const aPanelBytes = <usize>(depth * MR) << 2;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const rows = min(MC, m - i0);
      packA(a, aRowStride, aStepStride, i0, rows, p0, depth, panelA);
      for (let j = 0; j < n; j += NR) {
        const cols = min(NR, n - j);
        packB(b, bStepStride, bColStride, p0, depth, j, cols, panelB);
        const biasAt: usize = bias == 0 ? <usize>0 : bias + (<usize>j << 2);
        let pa = panelA;
        for (let i = 0; i < rows; i += MR, pa += aPanelBytes) {
          const at = c + <usize>(i0 + i) * cRowStride + (<usize>j << 2);
          const tileRows = min(MR, rows - i);
          if (tileRows == MR && cols == NR) {
            microKernel(pa, panelB, depth, at, cRowStride, fromBias, biasAt, reluHere);
          } else {
            if (!fromBias) copyTile(at, cRowStride, tile, tileRows, cols, true);
            microKernel(pa, panelB, depth, tile, <usize>NR << 2, fromBias, biasAt, reluHere);
            copyTile(at, cRowStride, tile, tileRows, cols, false);
          }
        }
      }
    }
  }
}

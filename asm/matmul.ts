/**
 * C += op(A)·op(B) for f32 matrices, f32x4 SIMD, blocked for the caches; op is the identity
 * or the transpose, so the three products of a layer (y = x·Wᵀ, dx = dy·W, dW = dyᵀ·x) all run
 * without a transposed copy.
 *
 * The caller (src/wasm/gemm.ts) copies the operands into this module's memory padded to
 * whole blocks, so the loops below have no edges:
 * - A, read as m4 × k (m4 a multiple of 4, extra rows zero), is addressed through two byte
 *   strides: A[i, p] lies at a + i·aRowStride + p·aStepStride. Stored as is (m4 × k) the
 *   strides are (4k, 4); stored transposed (k × m4) they are (4, 4·m4).
 * - B, read as k × n8 (n8 a multiple of 8, extra columns zero), is stored as is, or
 *   transposed as n8 × k (`bTransposed`).
 * - C is m4 × n8.
 *
 * For each block of KC rows of B and each strip of 8 columns, the strip is packed into a
 * contiguous KC × 8 panel (8 KiB: it stays in L1 while every 4-row block of A streams past
 * it; read in place, the rows of B a power-of-two stride apart would fight over cache sets).
 * Packing is also where a transposed B turns back into rows. The micro-kernel keeps a 4 × 8
 * block of C in eight registers:
 *   for p in block:  b₀, b₁ = panel[p];  for r in 0..3:  c[r] += A[i + r, p] · (b₀, b₁)
 */

const KC: i32 = 256;

/** panel[q] = B[p0 + q, j .. j + 8] from B stored k × n8. */
@inline function pack(b: usize, panel: usize, n8: i32, p0: i32, depth: i32, j: i32): void {
  const rowBytes = <usize>n8 << 2;
  let src = b + <usize>p0 * rowBytes + (<usize>j << 2);
  let dst = panel;
  const end = panel + (<usize>depth << 5);
  for (; dst < end; dst += 32, src += rowBytes) {
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.load(src, 16), 16);
  }
}

/** panel[q] = B[p0 + q, j .. j + 8] from B stored transposed, n8 × k: a gather down 8 rows. */
@inline function packTransposed(b: usize, panel: usize, k: i32, p0: i32, depth: i32, j: i32): void {
  const rowBytes = <usize>k << 2;
  let src = b + <usize>j * rowBytes + (<usize>p0 << 2);
  let dst = panel;
  const end = panel + (<usize>depth << 5);
  for (; dst < end; dst += 32, src += 4) {
    let row = src;
    for (let jj = 0; jj < 8; jj++, row += rowBytes) f32.store(dst + (<usize>jj << 2), f32.load(row));
  }
}

export function gemm(a: usize, aRowStride: usize, aStepStride: usize, b: usize, bTransposed: bool, c: usize, panel: usize, m4: i32, k: i32, n8: i32): void {
  const cRow = <usize>n8 << 2;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const depth = min(KC, k - p0);
    const panelEnd = panel + (<usize>depth << 5);
    for (let j = 0; j < n8; j += 8) {
      if (bTransposed) packTransposed(b, panel, k, p0, depth, j);
      else pack(b, panel, n8, p0, depth, j);
      for (let i = 0; i < m4; i += 4) {
        const c0 = c + <usize>i * cRow + (<usize>j << 2);
        const c1 = c0 + cRow;
        const c2 = c1 + cRow;
        const c3 = c2 + cRow;
        let x00 = v128.load(c0), x01 = v128.load(c0, 16);
        let x10 = v128.load(c1), x11 = v128.load(c1, 16);
        let x20 = v128.load(c2), x21 = v128.load(c2, 16);
        let x30 = v128.load(c3), x31 = v128.load(c3, 16);
        let a0 = a + <usize>i * aRowStride + <usize>p0 * aStepStride;
        for (let q = panel; q < panelEnd; q += 32, a0 += aStepStride) {
          const b0 = v128.load(q);
          const b1 = v128.load(q, 16);
          const y0 = v128.load32_splat(a0);
          x00 = f32x4.add(x00, f32x4.mul(y0, b0));
          x01 = f32x4.add(x01, f32x4.mul(y0, b1));
          const y1 = v128.load32_splat(a0 + aRowStride);
          x10 = f32x4.add(x10, f32x4.mul(y1, b0));
          x11 = f32x4.add(x11, f32x4.mul(y1, b1));
          const y2 = v128.load32_splat(a0 + 2 * aRowStride);
          x20 = f32x4.add(x20, f32x4.mul(y2, b0));
          x21 = f32x4.add(x21, f32x4.mul(y2, b1));
          const y3 = v128.load32_splat(a0 + 3 * aRowStride);
          x30 = f32x4.add(x30, f32x4.mul(y3, b0));
          x31 = f32x4.add(x31, f32x4.mul(y3, b1));
        }
        v128.store(c0, x00); v128.store(c0, x01, 16);
        v128.store(c1, x10); v128.store(c1, x11, 16);
        v128.store(c2, x20); v128.store(c2, x21, 16);
        v128.store(c3, x30); v128.store(c3, x31, 16);
      }
    }
  }
}

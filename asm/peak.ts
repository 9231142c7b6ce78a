/**
 * The multiply-add throughput of WebAssembly SIMD on this CPU: the ceiling of any float32 matrix
 * product written with f32x4 mul and add (Node 20 has no fused multiply-add without a flag).
 * The loop is a 4 × 8 GEMM micro-kernel's inner loop with its operands in L1 (a 1 KiB window of
 * memory read over and over): four broadcast values times two loaded vectors, added into eight
 * independent accumulators. Each iteration is 8 × (4 multiplies + 4 adds) = 64 flops.
 */
const WINDOW: usize = 1024;

export function mulAddPeak(iterations: i32, seed: f32): f32 {
  for (let i: usize = 0; i < WINDOW; i += 4) store<f32>(i, seed + <f32>i * 1e-6);
  let x00 = f32x4.splat(0), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
  let q: usize = 0;
  for (let i = 0; i < iterations; i++) {
    const b0 = v128.load(q), b1 = v128.load(q, 16);
    const y0 = v128.load32_splat(q, 32);
    x00 = f32x4.add(x00, f32x4.mul(y0, b0)); x01 = f32x4.add(x01, f32x4.mul(y0, b1));
    const y1 = v128.load32_splat(q, 36);
    x10 = f32x4.add(x10, f32x4.mul(y1, b0)); x11 = f32x4.add(x11, f32x4.mul(y1, b1));
    const y2 = v128.load32_splat(q, 40);
    x20 = f32x4.add(x20, f32x4.mul(y2, b0)); x21 = f32x4.add(x21, f32x4.mul(y2, b1));
    const y3 = v128.load32_splat(q, 44);
    x30 = f32x4.add(x30, f32x4.mul(y3, b0)); x31 = f32x4.add(x31, f32x4.mul(y3, b1));
    q = (q + 48) & (WINDOW - 64);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(x00, x01), f32x4.add(x10, x11)), f32x4.add(f32x4.add(x20, x21), f32x4.add(x30, x31)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

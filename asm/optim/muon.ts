/**
 * Muon: one call per matrix, at explicit addresses, with four scratch matrices from the caller:
 * `x` and `next` (m rows of kp values), `gram` and `poly` (m rows of mp values), where m ≤ k
 * are the matrix's sides, kp and mp rounded up to multiples of 4. The padding columns stay
 * zero, so every row product runs over whole vectors. The Newton–Schulz iteration rounds to
 * bfloat16 where PyTorch stores a bfloat16 matrix; every sum runs in f64 before it, as the
 * plain kernel's do, so both paths round the same numbers.
 */

/** Each f32 lane rounded to the nearest bfloat16 (ties to even). */
@inline function bfloat16x4(v: v128): v128 {
  const lsb = v128.and(i32x4.shr_u(v, 16), i32x4.splat(1));
  return v128.and(i32x4.add(i32x4.add(v, i32x4.splat(0x7fff)), lsb), i32x4.splat(0xffff0000));
}

@inline function bfloat16(x: f64): f32 {
  const bits = reinterpret<u32>(<f32>x);
  return reinterpret<f32>((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000);
}

/** Σ a[l]·b[l] over `lanes` values (a multiple of 4), f64. */
@inline function dot(a: usize, b: usize, lanes: i32): f64 {
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const end = <usize>lanes << 2;
  for (let j: usize = 0; j < end; j += 16) {
    const va = v128.load(a + j);
    const vb = v128.load(b + j);
    lo = f64x2.add(lo, f64x2.mul(f64x2.promote_low_f32x4(va), f64x2.promote_low_f32x4(vb)));
    hi = f64x2.add(hi, f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(va, va, 2, 3, 0, 1)), f64x2.promote_low_f32x4(v128.shuffle<f32>(vb, vb, 2, 3, 0, 1))));
  }
  const sum = f64x2.add(lo, hi);
  return f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
}

/**
 * Muon for one matrix of `rows × cols`.
 *   B = B + (1 − β)(G − B);  X = bf16(gWeight·G + bWeight·B), transposed when rows > cols
 *   X = bf16(X / max(bf16(‖X‖_F), bf16(ε)))
 *   nsSteps times:  A = bf16(XXᵀ);  P = bf16(bA + cA·A);  X = bf16(aX + P·X)
 *   θ = (1 − γλ)θ − γ'·X (transposed back)
 */
export function muon(
  param: usize, grad: usize, buffer: usize, rows: i32, cols: i32, x: usize, next: usize, gram: usize, poly: usize,
  momentum: f64, directGradWeight: f64, bufferWeight: f64, nsA: f64, nsB: f64, nsC: f64, nsSteps: i32, eps: f64, paramDecay: f64, adjustedLr: f64,
): void {
  const tall = rows > cols;
  const m = tall ? cols : rows;
  const k = tall ? rows : cols;
  const kp = (k + 3) & ~3;
  const mp = (m + 3) & ~3;
  const rowStride: usize = tall ? 4 : <usize>cols << 2;
  const colStride: usize = tall ? <usize>cols << 2 : 4;
  const keep = 1 - momentum;
  let squares: f64 = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const offset = <usize>i * rowStride + <usize>j * colStride;
      const g = <f64>load<f32>(grad + offset);
      const old = <f64>load<f32>(buffer + offset);
      const b = <f32>(old + keep * (g - old));
      store<f32>(buffer + offset, b);
      const u = bfloat16(directGradWeight * g + bufferWeight * <f64>b);
      store<f32>(x + ((<usize>(i * kp + j)) << 2), u);
      squares += <f64>u * <f64>u;
    }
    for (let j = k; j < kp; j++) store<f32>(x + ((<usize>(i * kp + j)) << 2), 0);
  }
  const norm = max(<f64>bfloat16(sqrt(squares)), <f64>bfloat16(eps));
  const kpBytes = <usize>kp << 2;
  const mpBytes = <usize>mp << 2;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const q = x + <usize>i * kpBytes + (<usize>j << 2);
      store<f32>(q, bfloat16(<f64>load<f32>(q) / norm));
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = m; j < mp; j++) {
      store<f32>(gram + <usize>i * mpBytes + (<usize>j << 2), 0);
      store<f32>(poly + <usize>i * mpBytes + (<usize>j << 2), 0);
    }
  }
  const va = f64x2.splat(nsA);
  for (let step = 0; step < nsSteps; step++) {
    // A = XXᵀ, symmetric: each pair once.
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        const value = bfloat16(dot(x + <usize>i * kpBytes, x + <usize>j * kpBytes, kp));
        store<f32>(gram + <usize>i * mpBytes + (<usize>j << 2), value);
        store<f32>(gram + <usize>j * mpBytes + (<usize>i << 2), value);
      }
    }
    // (A·A)[i, j] = Σₗ A[i, l]·A[j, l], as A is symmetric.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const square = dot(gram + <usize>i * mpBytes, gram + <usize>j * mpBytes, mp);
        store<f32>(poly + <usize>i * mpBytes + (<usize>j << 2), bfloat16(nsB * <f64>load<f32>(gram + <usize>i * mpBytes + (<usize>j << 2)) + nsC * square));
      }
    }
    // next = aX + P·X, row by row, four columns at a time in f64.
    for (let i = 0; i < m; i++) {
      const out = next + <usize>i * kpBytes;
      const own = x + <usize>i * kpBytes;
      for (let j: usize = 0; j < kpBytes; j += 16) {
        const xi = v128.load(own + j);
        let lo = f64x2.mul(va, f64x2.promote_low_f32x4(xi));
        let hi = f64x2.mul(va, f64x2.promote_low_f32x4(v128.shuffle<f32>(xi, xi, 2, 3, 0, 1)));
        for (let l = 0; l < m; l++) {
          const weight = f64x2.splat(<f64>load<f32>(poly + <usize>i * mpBytes + (<usize>l << 2)));
          const xl = v128.load(x + <usize>l * kpBytes + j);
          lo = f64x2.add(lo, f64x2.mul(weight, f64x2.promote_low_f32x4(xl)));
          hi = f64x2.add(hi, f64x2.mul(weight, f64x2.promote_low_f32x4(v128.shuffle<f32>(xl, xl, 2, 3, 0, 1))));
        }
        v128.store(out + j, bfloat16x4(v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5)));
      }
    }
    const swap = x;
    x = next;
    next = swap;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const offset = <usize>i * rowStride + <usize>j * colStride;
      const w = <f64>load<f32>(param + offset);
      store<f32>(param + offset, <f32>(paramDecay * w - adjustedLr * <f64>load<f32>(x + <usize>i * kpBytes + (<usize>j << 2))));
    }
  }
}

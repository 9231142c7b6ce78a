/**
 * What the fused optimizer kernels share (one file per optimizer in asm/optim/, each inlining
 * what it needs from here): reading the segment table, addressing a parameter's other arrays,
 * lane masks, and the rows most updates start with.
 *
 * scripts/build-wasm.mjs compiles every asm/optim/*.ts into one module with AssemblyScript, and
 * generates the TypeScript signatures of its exports (src/wasm/generated.ts). Each exported
 * kernel is the row of PyTorch's algorithm box (`_single_tensor_*`) with every per-step scalar (bias corrections, step sizes, the ±1 sign of `maximize`)
 * computed by the caller, so the loops hold no branches. Decay rates (β, ρ, α, momentum,
 * dampening) come in as f64 and their complements 1 − β are taken before rounding to f32, as
 * PyTorch takes them in double: rounding β first would put 1 − β off by up to 2⁻²⁵/(1 − β)
 * (3·10⁻⁴ relative at β = 0.9999).
 *
 * Memory layout (built by src/optim/wasm/arena.ts). The kernels never allocate. A dense
 * kernel walks a segment table: entry s at `table + 16·s` is
 *   u32 address of the first parameter value, i32 element count, f32 per-segment scale, unused.
 * Every array of a parameter (grad, state) lies at a fixed byte distance from its values
 * (`gOff`, `mOff`, …), because the arena lays out one region per array kind in the same
 * order. Segments start 32-byte aligned and each parameter is padded with zeros to a multiple
 * of eight values (two f32x4 vectors), so dense updates run over `ceil8(count)` values with no
 * scalar tail; the padding lanes compute harmless numbers that nobody reads. Contiguous
 * parameters of a group merge into one segment: 1000 tensors of 100 values cost what one of
 * 100k costs.
 *
 * A kernel whose doc comment carries `@parallel` updates every element on its own (no sum, no
 * norm, nothing read across elements): src/wasm/parallel.ts may then split its table's element
 * range across threads, each thread walking a table of its own over a slice of the segments,
 * and the result is bit for bit the same. scripts/build-wasm.mjs lists these kernels.
 *
 * Row-sparse kernels (Adagrad's sparse path, SparseAdam) take coalesced rows: unique row
 * indices (i32) and their values packed row after row. A row whose width is not a multiple of
 * four ends with a masked vector: the lanes past the row keep the values they had.
 */

// ---- segment table ----

@inline export function segmentAddress(table: usize, s: i32): usize {
  return <usize>load<u32>(table + (<usize>s << 4));
}

@inline export function segmentCount(table: usize, s: i32): i32 {
  return load<i32>(table + (<usize>s << 4), 4);
}

@inline export function segmentScale(table: usize, s: i32): f32 {
  return load<f32>(table + (<usize>s << 4), 8);
}

/** End address of a dense segment: its count rounded up to whole pairs of vectors. */
@inline export function segmentEnd(table: usize, s: i32): usize {
  return segmentAddress(table, s) + (<usize>((segmentCount(table, s) + 7) & ~7) << 2);
}

@inline export function at(p: usize, off: i32): usize {
  return p + <usize>off;
}

/** Lanes [0, remainder) set: selects the part of a vector that lies inside a row. */
@inline export function laneMask(remainder: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(remainder));
}

/** Two f64 lanes holding the sums of the low and high halves of four f32 lanes. */
@inline export function widen(acc: v128): v128 {
  return f64x2.add(f64x2.promote_low_f32x4(acc), f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 0, 1)));
}

// ---- dense kernels ----
//
// Each dense kernel is a per-vector body (`…Vector`, inlined) and a loop that runs it twice per
// iteration: segments are padded to eight values, and the unrolled loop is what lets V8 keep
// up with memory (one vector per iteration runs ~1.5× slower on data in cache). Running means
// are written as PyTorch 2's `lerp_`, m + (1 − β)(g − m), which needs one constant where
// β·m + (1 − β)·g needs two: constants live in the sixteen SIMD registers for the whole loop.

/** d = sign·g + λ·p: the gradient with maximize and L2 decay folded in. */
@inline export function decayed(g: v128, w: v128, vsign: v128, vwd: v128): v128 {
  return f32x4.add(f32x4.mul(vsign, g), decayTerm(w, vwd));
}

/** factor·x, or 0 where factor = 0 even for an infinite x (where 0·∞ would be NaN). */
@inline export function timesUnlessZero(x: v128, factor: v128): v128 {
  return v128.and(f32x4.mul(factor, x), f32x4.ne(factor, f32x4.splat(0)));
}

/**
 * λ·w, or 0 where λ = 0: PyTorch adds no decay term then, so an infinite w stays infinite
 * instead of becoming 0·∞ = NaN (the plain kernels' `decayTerm` keeps the same rule).
 */
@inline export function decayTerm(w: v128, vwd: v128): v128 {
  return timesUnlessZero(w, vwd);
}

/** x₀² + x₁² + x₂² + x₃² as two f64 lanes, each square taken in f64 (no f32 underflow or overflow). */
@inline export function squaresWide(x: v128): v128 {
  const low = f64x2.promote_low_f32x4(x);
  const high = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  return f64x2.add(f64x2.mul(low, low), f64x2.mul(high, high));
}

/**
 * (1 − c)·m + c·x: a running mean, in the plain kernels' form. (m + c·(x − m) saves a multiply
 * but is NaN when m and x are the same infinity, and drifts by ~2⁻²⁴/β from the plain form as
 * β = 1 − c → 0.)
 */
@inline export function lerp(m: v128, x: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), c), m), f32x4.mul(c, x));
}

/**
 * Fused optimizer updates: one pass over params, grads and state, in place, f32x4 SIMD.
 *
 * Compiled by scripts/build-wasm.mjs with AssemblyScript into src/wasm/generated.ts.
 * Each exported kernel is the row of PyTorch's algorithm box (torch 1.13 `_single_tensor_*`)
 * with every per-step scalar (bias corrections, step sizes, the ±1 sign of `maximize`)
 * computed by the caller, so the loops hold no branches. Decay rates (β, ρ, α, momentum,
 * dampening) come in as f64 and their complements 1 − β are taken before rounding to f32, as
 * PyTorch takes them in double: rounding β first would put 1 − β off by up to 2⁻²⁵/(1 − β)
 * (3·10⁻⁴ relative at β = 0.9999).
 *
 * Memory layout (built by src/optim/wasm/arena.ts). The kernels never allocate. A dense
 * kernel walks a segment table: entry s at `table + 16·s` is
 *   u32 address of the first parameter value, i32 element count, f32 per-segment scale, unused.
 * Every array of a parameter (grad, state) lies at a fixed byte distance from its values
 * (`gOff`, `mOff`, … below), because the arena lays out one region per array kind in the same
 * order. Segments start 32-byte aligned and each parameter is padded with zeros to a multiple
 * of eight values (two f32x4 vectors), so dense updates run over `ceil8(count)` values with no
 * scalar tail;
 * the padding lanes compute harmless numbers that nobody reads. Contiguous parameters of a
 * group merge into one segment: 1000 tensors of 100 values cost what one of 100k costs.
 *
 * Row-sparse kernels (Adagrad's sparse path, SparseAdam) take coalesced rows: unique row
 * indices (i32) and their values packed row after row. A row whose width is not a multiple of
 * four ends with a masked vector: the lanes past the row keep the values they had.
 */

// ---- segment table ----

@inline function segmentAddress(table: usize, s: i32): usize {
  return <usize>load<u32>(table + (<usize>s << 4));
}

@inline function segmentCount(table: usize, s: i32): i32 {
  return load<i32>(table + (<usize>s << 4), 4);
}

@inline function segmentScale(table: usize, s: i32): f32 {
  return load<f32>(table + (<usize>s << 4), 8);
}

/** End address of a dense segment: its count rounded up to whole pairs of vectors. */
@inline function segmentEnd(table: usize, s: i32): usize {
  return segmentAddress(table, s) + (<usize>((segmentCount(table, s) + 7) & ~7) << 2);
}

@inline function at(p: usize, off: i32): usize {
  return p + <usize>off;
}

/** Lanes [0, remainder) set: selects the part of a vector that lies inside a row. */
@inline function laneMask(remainder: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(remainder));
}

/** Two f64 lanes holding the sums of the low and high halves of four f32 lanes. */
@inline function widen(acc: v128): v128 {
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
@inline function decayed(g: v128, w: v128, vsign: v128, vwd: v128): v128 {
  return f32x4.add(f32x4.mul(vsign, g), f32x4.mul(vwd, w));
}

/** m + c·(x − m). */
@inline function lerp(m: v128, x: v128, c: v128): v128 {
  return f32x4.add(m, f32x4.mul(c, f32x4.sub(x, m)));
}

// ---- SGD ----

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

// ---- Adagrad ----

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

// ---- RMSprop ----

@inline function rmspropVector(
  p: usize, gOff: i32, squareOff: i32, gradAvgOff: i32, bufOff: i32,
  vlr: v128, vrest: v128, veps: v128, vwd: v128, vsign: v128, vmu: v128, centered: bool, withMomentum: bool, plain: bool,
): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const sq = lerp(v128.load(at(p, squareOff)), f32x4.mul(d, d), vrest);
  v128.store(at(p, squareOff), sq);
  let den: v128;
  if (centered) {
    const ga = lerp(v128.load(at(p, gradAvgOff)), d, vrest);
    v128.store(at(p, gradAvgOff), ga);
    den = f32x4.add(f32x4.sqrt(f32x4.sub(sq, f32x4.mul(ga, ga))), veps);
  } else {
    den = f32x4.add(f32x4.sqrt(sq), veps);
  }
  if (withMomentum) {
    const b = f32x4.add(f32x4.mul(vmu, v128.load(at(p, bufOff))), f32x4.div(d, den));
    v128.store(at(p, bufOff), b);
    v128.store(p, f32x4.sub(w, f32x4.mul(vlr, b)));
  } else {
    v128.store(p, f32x4.sub(w, f32x4.mul(vlr, f32x4.div(d, den))));
  }
}

@inline function rmspropLoop(
  p: usize, end: usize, gOff: i32, squareOff: i32, gradAvgOff: i32, bufOff: i32,
  vlr: v128, vrest: v128, veps: v128, vwd: v128, vsign: v128, vmu: v128, centered: bool, withMomentum: bool, plain: bool,
): void {
  for (; p < end; p += 32) {
    rmspropVector(p, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, centered, withMomentum, plain);
    rmspropVector(p + 16, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, centered, withMomentum, plain);
  }
}

/**
 * RMSprop, plain or centered, with or without momentum.
 *   d = sign·g + λ·p;  A = α·A + (1 − α)·d²
 *   centered: ḡ = α·ḡ + (1 − α)·d, den = √(A − ḡ²) + ε;  else den = √A + ε
 *   momentum > 0: b = μ·b + d/den, p = p − lr·b;  else p = p − lr·d/den
 */
export function rmsprop(
  table: usize, count: i32, gOff: i32, squareOff: i32, gradAvgOff: i32, bufOff: i32,
  lr: f32, alpha: f64, eps: f32, weightDecay: f32, sign: f32, momentum: f64, centered: i32,
): void {
  const vlr = f32x4.splat(lr);
  const vrest = f32x4.splat(<f32>(1 - alpha));
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vmu = f32x4.splat(<f32>momentum);
  const withMomentum = momentum > 0;
  const plain = weightDecay == 0 && sign == 1;
  // One loop per combination of flags, so that no branch is left inside a loop.
  const variant = (centered ? 4 : 0) + (withMomentum ? 2 : 0) + (plain ? 1 : 0);
  for (let s = 0; s < count; s++) {
    const p = segmentAddress(table, s);
    const end = segmentEnd(table, s);
    if (variant == 0) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, false, false);
    else if (variant == 1) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, false, true);
    else if (variant == 2) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, true, false);
    else if (variant == 3) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, false, true, true);
    else if (variant == 4) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, false, false);
    else if (variant == 5) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, false, true);
    else if (variant == 6) rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, true, false);
    else rmspropLoop(p, end, gOff, squareOff, gradAvgOff, bufOff, vlr, vrest, veps, vwd, vsign, vmu, true, true, true);
  }
}

// ---- Adam / AdamW ----

@inline function adamVector(
  p: usize, gOff: i32, mOff: i32, vOff: i32, vMaxOff: i32,
  vb1c: v128, vb2c: v128, vss: v128, vbc: v128, veps: v128, vl2: v128, vdecay: v128, vsign: v128, plain: bool, amsgrad: bool,
): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vl2);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const v = lerp(v128.load(at(p, vOff)), f32x4.mul(d, d), vb2c);
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  let vHat = v;
  if (amsgrad) {
    vHat = f32x4.max(v128.load(at(p, vMaxOff)), v);
    v128.store(at(p, vMaxOff), vHat);
  }
  const den = f32x4.add(f32x4.mul(f32x4.sqrt(vHat), vbc), veps);
  const kept = plain ? w : f32x4.mul(vdecay, w);
  v128.store(p, f32x4.sub(kept, f32x4.mul(vss, f32x4.div(m, den))));
}

/**
 * Adam and AdamW (one kernel: AdamW is `decay = 1 − lr·λ`, `l2 = 0`; Adam is `decay = 1`).
 *   p = decay·p;  d = sign·g + l2·p_old
 *   m = β₁·m + (1 − β₁)·d;  v = β₂·v + (1 − β₂)·d²
 *   amsgrad: v̂ = max(v̂, v), else v̂ = v
 *   p = p − stepSize · m / (√v̂ · (1/√(1 − β₂ᵗ)) + ε),  stepSize = lr / (1 − β₁ᵗ)
 * Plain Adam (no decay, not maximizing) runs a loop without the three idle multiplications.
 */
export function adam(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32, vMaxOff: i32,
  beta1: f64, beta2: f64, stepSize: f32, invSqrtBc2: f32, eps: f32, l2: f32, decay: f32, sign: f32, amsgrad: i32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vss = f32x4.splat(stepSize);
  const vbc = f32x4.splat(invSqrtBc2);
  const veps = f32x4.splat(eps);
  const vl2 = f32x4.splat(l2);
  const vdecay = f32x4.splat(decay);
  const vsign = f32x4.splat(sign);
  const plain = l2 == 0 && decay == 1 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain && !amsgrad) {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, false);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, false);
      }
    } else if (plain) {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, true);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, true, true);
      }
    } else if (amsgrad) {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, true);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, true);
      }
    } else {
      for (; p < end; p += 32) {
        adamVector(p, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, false);
        adamVector(p + 16, gOff, mOff, vOff, vMaxOff, vb1c, vb2c, vss, vbc, veps, vl2, vdecay, vsign, false, false);
      }
    }
  }
}

// ---- Adadelta ----

@inline function adadeltaVector(p: usize, gOff: i32, squareOff: i32, deltaOff: i32, vlr: v128, vrest: v128, veps: v128, vwd: v128, vsign: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const sq = lerp(v128.load(at(p, squareOff)), f32x4.mul(d, d), vrest);
  v128.store(at(p, squareOff), sq);
  const acc = v128.load(at(p, deltaOff));
  // √a/√b as √(a/b): one root instead of two (roots and divisions share one unit).
  const delta = f32x4.mul(f32x4.sqrt(f32x4.div(f32x4.add(acc, veps), f32x4.add(sq, veps))), d);
  v128.store(at(p, deltaOff), lerp(acc, f32x4.mul(delta, delta), vrest));
  v128.store(p, f32x4.sub(w, f32x4.mul(vlr, delta)));
}

/**
 * Adadelta.
 *   d = sign·g + λ·p;  A = ρ·A + (1 − ρ)·d²
 *   Δ = √((D + ε) / (A + ε)) · d;  D = ρ·D + (1 − ρ)·Δ²;  p = p − lr·Δ
 */
export function adadelta(table: usize, count: i32, gOff: i32, squareOff: i32, deltaOff: i32, lr: f32, rho: f64, eps: f32, weightDecay: f32, sign: f32): void {
  const vlr = f32x4.splat(lr);
  const vrest = f32x4.splat(<f32>(1 - rho));
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        adadeltaVector(p, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, true);
        adadeltaVector(p + 16, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, true);
      }
    } else {
      for (; p < end; p += 32) {
        adadeltaVector(p, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, false);
        adadeltaVector(p + 16, gOff, squareOff, deltaOff, vlr, vrest, veps, vwd, vsign, false);
      }
    }
  }
}

// ---- Adamax ----

@inline function adamaxVector(p: usize, gOff: i32, mOff: i32, uOff: i32, vb1c: v128, vb2: v128, veps: v128, vwd: v128, vsign: v128, vclr: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const u = f32x4.max(f32x4.mul(vb2, v128.load(at(p, uOff))), f32x4.add(f32x4.abs(d), veps));
  v128.store(at(p, mOff), m);
  v128.store(at(p, uOff), u);
  v128.store(p, f32x4.sub(w, f32x4.mul(vclr, f32x4.div(m, u))));
}

/**
 * Adamax.
 *   d = sign·g + λ·p;  m = β₁·m + (1 − β₁)·d;  u = max(β₂·u, |d| + ε)
 *   p = p − clr·m/u,  clr = lr / (1 − β₁ᵗ)
 */
export function adamax(table: usize, count: i32, gOff: i32, mOff: i32, uOff: i32, beta1: f64, beta2: f64, eps: f32, weightDecay: f32, sign: f32, clr: f32): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2 = f32x4.splat(<f32>beta2);
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vclr = f32x4.splat(clr);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        adamaxVector(p, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, true);
        adamaxVector(p + 16, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, true);
      }
    } else {
      for (; p < end; p += 32) {
        adamaxVector(p, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, false);
        adamaxVector(p + 16, gOff, mOff, uOff, vb1c, vb2, veps, vwd, vsign, vclr, false);
      }
    }
  }
}

// ---- NAdam ----

@inline function nadamVector(p: usize, gOff: i32, mOff: i32, vOff: i32, vb1c: v128, vb2c: v128, vbc: v128, veps: v128, vwd: v128, vsign: v128, vgc: v128, vmc: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const v = lerp(v128.load(at(p, vOff)), f32x4.mul(d, d), vb2c);
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  // PyTorch's two addcdiv_ calls over one denominator, as one division.
  const den = f32x4.add(f32x4.sqrt(f32x4.mul(v, vbc)), veps);
  v128.store(p, f32x4.sub(w, f32x4.div(f32x4.add(f32x4.mul(vgc, d), f32x4.mul(vmc, m)), den)));
}

/**
 * NAdam (Dozat 2016 with PyTorch's momentum schedule μₜ).
 *   d = sign·g + λ·p;  m = β₁·m + (1 − β₁)·d;  v = β₂·v + (1 − β₂)·d²
 *   den = √(v / (1 − β₂ᵗ)) + ε
 *   p = p − (gradCoef·d + momentumCoef·m)/den
 * with gradCoef = lr(1 − μₜ)/(1 − Πμ), momentumCoef = lr·μₜ₊₁/(1 − Πμ·μₜ₊₁).
 */
export function nadam(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32,
  beta1: f64, beta2: f64, invBc2: f32, eps: f32, weightDecay: f32, sign: f32, gradCoef: f32, momentumCoef: f32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vbc = f32x4.splat(invBc2);
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vgc = f32x4.splat(gradCoef);
  const vmc = f32x4.splat(momentumCoef);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        nadamVector(p, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, true);
        nadamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, true);
      }
    } else {
      for (; p < end; p += 32) {
        nadamVector(p, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, false);
        nadamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vbc, veps, vwd, vsign, vgc, vmc, false);
      }
    }
  }
}

// ---- RAdam ----

@inline function radamVector(p: usize, gOff: i32, mOff: i32, vOff: i32, vb1c: v128, vb2c: v128, vwd: v128, vsign: v128, vscale: v128, vnumer: v128, vsw: v128, vfloor: v128, plain: bool): void {
  const w = v128.load(p);
  const g = v128.load(at(p, gOff));
  const d = plain ? g : decayed(g, w, vsign, vwd);
  const m = lerp(v128.load(at(p, mOff)), d, vb1c);
  const v = lerp(v128.load(at(p, vOff)), f32x4.mul(d, d), vb2c);
  v128.store(at(p, mOff), m);
  v128.store(at(p, vOff), v);
  const adaptive = f32x4.div(vnumer, f32x4.add(f32x4.mul(vsw, f32x4.sqrt(v)), vfloor));
  v128.store(p, f32x4.sub(w, f32x4.mul(f32x4.mul(vscale, m), adaptive)));
}

/**
 * RAdam. The caller folds the rectification into three numbers:
 *   rectified (ρₜ > 5):  p = p − (m/(1 − β₁ᵗ))·lr·r · √(1 − β₂ᵗ) / (√v + ε)
 *                        → scale = lr·r/(1 − β₁ᵗ), numer = √(1 − β₂ᵗ), sqrtWeight = 1, floor = ε
 *   otherwise:           p = p − (m/(1 − β₁ᵗ))·lr
 *                        → scale = lr/(1 − β₁ᵗ), numer = 1, sqrtWeight = 0, floor = 1
 *   p = p − scale·m · numer / (sqrtWeight·√v + floor)
 */
export function radam(
  table: usize, count: i32, gOff: i32, mOff: i32, vOff: i32,
  beta1: f64, beta2: f64, weightDecay: f32, sign: f32, scale: f32, numer: f32, sqrtWeight: f32, floor: f32,
): void {
  const vb1c = f32x4.splat(<f32>(1 - beta1));
  const vb2c = f32x4.splat(<f32>(1 - beta2));
  const vwd = f32x4.splat(weightDecay);
  const vsign = f32x4.splat(sign);
  const vscale = f32x4.splat(scale);
  const vnumer = f32x4.splat(numer);
  const vsw = f32x4.splat(sqrtWeight);
  const vfloor = f32x4.splat(floor);
  const plain = weightDecay == 0 && sign == 1;
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    let p = segmentAddress(table, s);
    if (plain) {
      for (; p < end; p += 32) {
        radamVector(p, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, true);
        radamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, true);
      }
    } else {
      for (; p < end; p += 32) {
        radamVector(p, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, false);
        radamVector(p + 16, gOff, mOff, vOff, vb1c, vb2c, vwd, vsign, vscale, vnumer, vsw, vfloor, false);
      }
    }
  }
}

// ---- SparseAdam ----

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

// ---- norms and the LAMB / LARS passes ----

/** Σx² over [p, p + 4·n) exactly (masked tail), partial sums in f32 blocks folded into f64. */
@inline function sumOfSquares(p: usize, n: i32): f64 {
  let total = f64x2.splat(0);
  const end = p + (<usize>(n & ~3) << 2);
  while (p < end) {
    // f32 lanes for at most 1024 values, then into f64: fast, and exact enough for 16M values.
    const blockEnd = min(end, p + 4096);
    let acc = f32x4.splat(0);
    for (; p < blockEnd; p += 16) {
      const x = v128.load(p);
      acc = f32x4.add(acc, f32x4.mul(x, x));
    }
    total = f64x2.add(total, widen(acc));
  }
  if (n & 3) {
    const x = v128.and(v128.load(p), laneMask(n & 3));
    const sq = f32x4.mul(x, x);
    total = f64x2.add(total, widen(sq));
  }
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

/** x = x·factor over every segment of the array at `off` (gradient clipping). */
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
  const u = f32x4.add(f32x4.div(f32x4.mul(m, vbc1), f32x4.add(f32x4.sqrt(f32x4.mul(v, vbc2)), veps)), f32x4.mul(vwd, w));
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
    while (p < bodyEnd) {
      const blockEnd = min(bodyEnd, p + 4096);
      let ww = f32x4.splat(0);
      let uu = f32x4.splat(0);
      for (; p < blockEnd; p += 16) {
        const w = v128.load(p);
        const u = lambVector(p, gOff, mOff, vOff, uOff, vb1, vb1c, vb2, vb2c, vbc1, vbc2, veps, vwd, vgs);
        ww = f32x4.add(ww, f32x4.mul(w, w));
        uu = f32x4.add(uu, f32x4.mul(u, u));
      }
      weights = f64x2.add(weights, widen(ww));
      updates = f64x2.add(updates, widen(uu));
    }
    if (n & 3) {
      const inside = laneMask(n & 3);
      const w = v128.and(v128.load(p), inside);
      const u = v128.and(lambVector(p, gOff, mOff, vOff, uOff, vb1, vb1c, vb2, vb2c, vbc1, vbc2, veps, vwd, vgs), inside);
      weights = f64x2.add(weights, widen(f32x4.mul(w, w)));
      updates = f64x2.add(updates, widen(f32x4.mul(u, u)));
    }
    store<f64>(out + (<usize>s << 4), f64x2.extract_lane(weights, 0) + f64x2.extract_lane(weights, 1));
    store<f64>(out + (<usize>s << 4), f64x2.extract_lane(updates, 0) + f64x2.extract_lane(updates, 1), 8);
  }
}

/** p = p − scale_s·x over each segment, x at `off` (LAMB's second pass: scale_s = lr·r_s). */
export function subtractScaled(table: usize, count: i32, off: i32): void {
  for (let s = 0; s < count; s++) {
    const vscale = f32x4.splat(segmentScale(table, s));
    const end = segmentEnd(table, s);
    for (let p = segmentAddress(table, s); p < end; p += 16) {
      v128.store(p, f32x4.sub(v128.load(p), f32x4.mul(vscale, v128.load(at(p, off)))));
    }
  }
}

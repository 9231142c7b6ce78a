/**
 * The memory-bandwidth floor of each optimizer: a streaming kernel that reads and writes the
 * same arrays, in the same order, as a fused update, with no maths worth the name. A fused
 * optimizer cannot beat it; descent ÷ floor says how much of the step is arithmetic.
 *
 * Arrays are addressed as in optim.ts: array 0 is the parameter values (the segment
 * addresses), arrays 1–4 lie at byte distances `off1` … `off4`. Array 1 plays the gradient,
 * which is read and never written; the writes go to arrays 0, 2, 3, 4 in that order, as an
 * optimizer writes p and its state. Each written array gets `x + scale·(sum of everything
 * read)`; with scale 0 the values stay as they are, yet no load or store can be dropped.
 */

@inline function segmentAddress(table: usize, s: i32): usize {
  return <usize>load<u32>(table + (<usize>s << 4));
}

@inline function segmentEnd(table: usize, s: i32): usize {
  return segmentAddress(table, s) + (<usize>((load<i32>(table + (<usize>s << 4), 4) + 7) & ~7) << 2);
}

@inline function at(p: usize, off: i32): usize {
  return p + <usize>off;
}

/** One vector of a dense stream: read `reads` arrays at q, write `writes` of them back. */
@inline function streamVector(q: usize, reads: i32, writes: i32, off1: i32, off2: i32, off3: i32, off4: i32, vs: v128): v128 {
  const a0 = v128.load(q);
  const a1 = reads >= 2 ? v128.load(at(q, off1)) : a0;
  let sum = reads >= 2 ? f32x4.add(a0, a1) : f32x4.mul(a0, a0);
  const a2 = reads >= 3 ? v128.load(at(q, off2)) : sum;
  if (reads >= 3) sum = f32x4.add(sum, a2);
  const a3 = reads >= 4 ? v128.load(at(q, off3)) : sum;
  if (reads >= 4) sum = f32x4.add(sum, a3);
  const a4 = reads >= 5 ? v128.load(at(q, off4)) : sum;
  if (reads >= 5) sum = f32x4.add(sum, a4);
  const t = f32x4.mul(vs, sum);
  if (writes >= 2) v128.store(at(q, off2), f32x4.add(a2, t));
  if (writes >= 3) v128.store(at(q, off3), f32x4.add(a3, t));
  if (writes >= 4) v128.store(at(q, off4), f32x4.add(a4, t));
  if (writes >= 1) v128.store(q, f32x4.add(a0, t));
  return sum;
}

/**
 * Streams `reads` arrays (1–5) and writes `writes` of them (0–4, at most reads − 1) over
 * every segment, two vectors per iteration like the optimizer kernels. Unsupported pairs do
 * nothing and return false.
 */
export function stream(table: usize, count: i32, reads: i32, writes: i32, off1: i32, off2: i32, off3: i32, off4: i32, scale: f32): bool {
  const vs = f32x4.splat(scale);
  const pair = reads * 10 + writes;
  if (pair != 10 && pair != 20 && pair != 21 && pair != 31 && pair != 32 && pair != 43 && pair != 54) return false;
  for (let s = 0; s < count; s++) {
    const start = segmentAddress(table, s);
    const end = segmentEnd(table, s);
    // A read-only pass (a norm) keeps a running sum and stores it once, so its loads stay live.
    let acc = f32x4.splat(0);
    let p = start;
    if (pair == 10) {
      for (; p < end; p += 32) acc = f32x4.add(acc, f32x4.add(streamVector(p, 1, 0, off1, off2, off3, off4, vs), streamVector(p + 16, 1, 0, off1, off2, off3, off4, vs)));
    } else if (pair == 20) {
      for (; p < end; p += 32) acc = f32x4.add(acc, f32x4.add(streamVector(p, 2, 0, off1, off2, off3, off4, vs), streamVector(p + 16, 2, 0, off1, off2, off3, off4, vs)));
    } else if (pair == 21) {
      for (; p < end; p += 32) {
        streamVector(p, 2, 1, off1, off2, off3, off4, vs);
        streamVector(p + 16, 2, 1, off1, off2, off3, off4, vs);
      }
    } else if (pair == 31) {
      for (; p < end; p += 32) {
        streamVector(p, 3, 1, off1, off2, off3, off4, vs);
        streamVector(p + 16, 3, 1, off1, off2, off3, off4, vs);
      }
    } else if (pair == 32) {
      for (; p < end; p += 32) {
        streamVector(p, 3, 2, off1, off2, off3, off4, vs);
        streamVector(p + 16, 3, 2, off1, off2, off3, off4, vs);
      }
    } else if (pair == 43) {
      for (; p < end; p += 32) {
        streamVector(p, 4, 3, off1, off2, off3, off4, vs);
        streamVector(p + 16, 4, 3, off1, off2, off3, off4, vs);
      }
    } else {
      for (; p < end; p += 32) {
        streamVector(p, 5, 4, off1, off2, off3, off4, vs);
        streamVector(p + 16, 5, 4, off1, off2, off3, off4, vs);
      }
    }
    if (pair < 21) v128.store(start, f32x4.add(v128.load(start), f32x4.mul(acc, vs)));
  }
  return true;
}

/**
 * The floor of a row-sparse update: for each listed row, read the parameter row, the packed
 * gradient row and `states` state rows (0–2, at `off1`, `off2` from the parameter), and write
 * back the parameter and state rows.
 */
export function streamRows(param: usize, values: usize, indices: usize, rows: i32, width: i32, states: i32, off1: i32, off2: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  const rowBytes = <usize>width << 2;
  const vectorBytes = <usize>((width + 3) & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const p = param + <usize>load<i32>(indices + (<usize>r << 2)) * rowBytes;
    const g = values + <usize>r * rowBytes;
    if (states == 0) {
      for (let j: usize = 0; j < vectorBytes; j += 16) {
        const a0 = v128.load(p + j);
        v128.store(p + j, f32x4.add(a0, f32x4.mul(vs, f32x4.add(a0, v128.load(g + j)))));
      }
    } else if (states == 1) {
      for (let j: usize = 0; j < vectorBytes; j += 16) {
        const a0 = v128.load(p + j);
        const a1 = v128.load(at(p + j, off1));
        const t = f32x4.mul(vs, f32x4.add(f32x4.add(a0, v128.load(g + j)), a1));
        v128.store(at(p + j, off1), f32x4.add(a1, t));
        v128.store(p + j, f32x4.add(a0, t));
      }
    } else {
      for (let j: usize = 0; j < vectorBytes; j += 16) {
        const a0 = v128.load(p + j);
        const a1 = v128.load(at(p + j, off1));
        const a2 = v128.load(at(p + j, off2));
        const t = f32x4.mul(vs, f32x4.add(f32x4.add(a0, v128.load(g + j)), f32x4.add(a1, a2)));
        v128.store(at(p + j, off1), f32x4.add(a1, t));
        v128.store(at(p + j, off2), f32x4.add(a2, t));
        v128.store(p + j, f32x4.add(a0, t));
      }
    }
  }
}

/**
 * The arithmetic floor of an adaptive step (Adam, AdamW, RMSprop, Adagrad, …): the one square
 * root and one division per vector such a step takes, over every segment, with the least memory
 * traffic that keeps them (array 0 read and written, array 1 read). The divider computes both,
 * one after the other, so where the arrays sit in cache this, not the stream, bounds the step.
 * Each value becomes `x + scale·x / (√|y| + 1)`: with scale 0 it stays as it was.
 */
export function sqrtDivide(table: usize, count: i32, off1: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  const one = f32x4.splat(1);
  for (let s = 0; s < count; s++) {
    const end = segmentEnd(table, s);
    for (let p = segmentAddress(table, s); p < end; p += 32) {
      const x0 = v128.load(p), x1 = v128.load(p, 16);
      const d0 = f32x4.add(f32x4.sqrt(f32x4.abs(v128.load(at(p, off1)))), one);
      const d1 = f32x4.add(f32x4.sqrt(f32x4.abs(v128.load(at(p, off1), 16))), one);
      v128.store(p, f32x4.add(x0, f32x4.mul(vs, f32x4.div(x0, d0))));
      v128.store(p, f32x4.add(x1, f32x4.mul(vs, f32x4.div(x1, d1))), 16);
    }
  }
}

/** Shape arithmetic shared by the tensor ops: sizes, strides, broadcasting, dim checks. */

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function checkShape(shape: Shape, what = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`Invalid ${what}: expected an array of sizes`);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`Invalid ${what} ${shapeString(shape)}: sizes must be non-negative integers`);
    }
  }
  return shape.slice();
}

/** Normalises a possibly negative dim against `rank`, or throws naming the valid range. */
export function normalizeDim(dim: number, rank: number, op = 'dim'): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new RangeError(`${op}: dimension ${dim} is out of range for a tensor of rank ${rank} (expected ${-r}..${r - 1})`);
  }
  return dim < 0 ? dim + r : dim;
}

/** NumPy/PyTorch broadcasting: align trailing dims; a size 1 stretches. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` read as if it had `outShape` (0 where a dim is broadcast). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

/** Resolves one `-1` in a requested shape, checking the element count. */
export function inferShape(requested: Shape, total: number, op = 'reshape'): number[] {
  let inferAt = -1;
  let known = 1;
  requested.forEach((d, i) => {
    if (d === -1) {
      if (inferAt >= 0) throw new RangeError(`${op}: only one dimension can be -1, got ${shapeString(requested)}`);
      inferAt = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid size ${d} in ${shapeString(requested)}`);
    } else known *= d;
  });
  const out = [...requested];
  if (inferAt >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new RangeError(`${op}: shape ${shapeString(requested)} is invalid for ${total} elements`);
    }
    out[inferAt] = total / known;
  } else if (known !== total) {
    throw new RangeError(`${op}: shape ${shapeString(requested)} is invalid for ${total} elements`);
  }
  return out;
}

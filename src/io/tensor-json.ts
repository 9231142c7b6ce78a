/**
 * State dicts are JSON with tensors in them (`{ shape, data }`). To store one in a safetensors
 * file, `splitTensors` moves each tensor out under a name (its path, keys joined by dots) and
 * leaves `{ "tensor": name }` in its place; `joinTensors` puts them back. A plain object whose
 * only key is `tensor` therefore means a reference, which no state dict of descent or PyTorch has.
 */
import type { TensorJSON } from '../optim/optimizer.js';
import type { DType } from '../tensor/tensor.js';

/** The values as `dtype`, or, without one, as float32 unless that would change a value (then float64). */
export function floatArray(values: ArrayLike<number>, dtype?: DType): Float32Array | Float64Array {
  if (dtype === 'float64') return Float64Array.from(values);
  const single = Float32Array.from(values);
  for (let i = 0; i < single.length; i++) {
    if (!Object.is(single[i], values[i]) && !(Number.isNaN(single[i]) && Number.isNaN(values[i]))) return Float64Array.from(values);
  }
  return single;
}

export function isTensorJSON(value: unknown): value is TensorJSON {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Array.isArray((value as TensorJSON).shape) && Array.isArray((value as TensorJSON).data);
}

/** The skeleton of `value`; `take(name, tensor)` receives each tensor. Names are unique. */
export function splitTensors(value: unknown, name: string, take: (name: string, tensor: TensorJSON) => void): unknown {
  const taken = new Set<string>();
  const split = (v: unknown, path: string): unknown => {
    if (isTensorJSON(v)) {
      let unique = path;
      for (let n = 1; taken.has(unique); n++) unique = `${path}#${n}`;
      taken.add(unique);
      take(unique, v);
      return { tensor: unique };
    }
    if (Array.isArray(v)) return v.map((item, j) => split(item, `${path}.${j}`));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, split(item, `${path}.${k}`)]));
    return v;
  };
  return split(value, name);
}

/**
 * `skeleton` with each reference replaced by its tensor from `tensors`, which it empties; throws
 * (naming the place, `where`) for a reference to a tensor that is absent or already used.
 */
export function joinTensors(skeleton: unknown, tensors: Map<string, TensorJSON>, where: string): unknown {
  const join = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((item, j) => join(item, `${at}[${j}]`));
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'tensor') {
      const name = (v as { tensor: unknown }).tensor;
      const tensor = typeof name === 'string' ? tensors.get(name) : undefined;
      if (tensor === undefined) throw new Error(`${at} refers to tensor ${JSON.stringify(name)}, which is not in the file (or is referred to twice)`);
      tensors.delete(name as string);
      return tensor;
    }
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, join(item, `${at}.${k}`)]));
  };
  return join(skeleton, where);
}

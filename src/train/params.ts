/**
 * What the averaging helpers accept as "the weights": a module (anything with `parameters()`)
 * or the tensors themselves.
 */
import { Tensor } from '../tensor/tensor.js';
import { shapeString } from '../tensor/shape.js';

export interface HasParameters {
  parameters(): Tensor[];
}

export type ParameterSource = HasParameters | Iterable<Tensor>;

export function parametersOf(source: ParameterSource, where: string): Tensor[] {
  const list =
    source !== null && typeof source === 'object' && typeof (source as HasParameters).parameters === 'function'
      ? (source as HasParameters).parameters()
      : source !== null && typeof source === 'object' && Symbol.iterator in source
        ? [...(source as Iterable<Tensor>)]
        : null;
  if (list === null) throw new TypeError(`${where}: expected a module (with parameters()) or an iterable of tensors, got ${String(source)}`);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${where}: parameter ${i} is not a Tensor`);
  });
  return list;
}

/** Throws unless `targets` match `reference` one to one in count and shape. */
export function checkSameShapes(reference: readonly { shape: readonly number[] }[], targets: readonly { shape: readonly number[] }[], where: string): void {
  if (reference.length !== targets.length) {
    throw new RangeError(`${where}: expected ${reference.length} parameters, got ${targets.length}`);
  }
  reference.forEach((r, i) => {
    const t = targets[i]!;
    if (r.shape.length !== t.shape.length || r.shape.some((d, j) => d !== t.shape[j])) {
      throw new RangeError(`${where}: parameter ${i} has shape ${shapeString(t.shape as number[])}, expected ${shapeString(r.shape as number[])}`);
    }
  });
}

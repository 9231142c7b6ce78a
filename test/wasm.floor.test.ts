/**
 * The bench's floors (asm/floor.ts) run over an optimizer arena and must neither change it nor
 * skip the work they stand for: with scale 0 every value stays as it was, with scale 1 each
 * value shows that the pass read what it claims to read.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { ParamArena } from '../src/optim/wasm/arena.js';

function arenaOf(values: number[][], grads: number[][]): ParamArena {
  const params = values.map((v) => new Tensor(Float32Array.from(v), [v.length], { requiresGrad: true }));
  const arena = new ParamArena(params, { state: ['exp_avg'] });
  grads.forEach((g, i) => arena.gradView(i).set(g));
  return arena;
}

describe('floor kernels', () => {
  const values = [[1, -2, 3, 0.5, 9, -7, 2, 4, 1.5], [-0.25, 6, 100]];
  const grads = [[4, -9, 0, 16, 1, 2, 3, 5, 25], [1, -4, 0.01]];

  it('sqrtDivide with scale 0 leaves every parameter as it was', () => {
    const arena = arenaOf(values, grads);
    arena.kernels.sqrtDivide(arena.tableAddress, arena.writeSegments([0, 1], false), arena.gradOffset, 0);
    expect(Array.from(arena.paramView(0))).toEqual(values[0]!.map(Math.fround));
    expect(Array.from(arena.paramView(1))).toEqual(values[1]!.map(Math.fround));
  });

  it('sqrtDivide takes a square root and a division per value: x + s·x / (√|y| + 1), y the gradient', () => {
    const arena = arenaOf(values, grads);
    arena.kernels.sqrtDivide(arena.tableAddress, arena.writeSegments([0, 1], false), arena.gradOffset, 1);
    const f = Math.fround;
    values.forEach((v, i) => {
      const expected = v.map((x, j) => f(f(x) + f(f(x) / f(f(Math.sqrt(Math.abs(f(grads[i]![j]!)))) + 1))));
      expect(Array.from(arena.paramView(i))).toEqual(expected);
    });
  });
});

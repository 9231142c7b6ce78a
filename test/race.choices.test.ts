/**
 * How the task claims choose a setting (best mean over seeds, failed runs never chosen, edges
 * flagged), and the grids they read.
 */
import { describe, it, expect } from 'vitest';
import { bestByMean, edgeExtension, gridOver, perSeed } from '../src/race/claims/choices.js';

describe('bestByMean', () => {
  const grid = [
    { setting: 0.01, values: [0.5, 0.7] },
    { setting: 0.1, values: [0.4, 0.4] },
    { setting: 1, values: [0.2, Number.POSITIVE_INFINITY] },
  ];
  it('takes the best mean, and a failed seed disqualifies its setting', () => {
    expect(bestByMean(grid, 'lower')).toEqual({ setting: 0.1, index: 1, mean: 0.4, atEdge: false });
    expect(bestByMean(grid, 'higher')).toMatchObject({ setting: 0.01, mean: 0.6, atEdge: true });
  });
  it('breaks ties towards the first setting and flags a choice at an edge', () => {
    expect(bestByMean([{ setting: 'a', values: [1] }, { setting: 'b', values: [1] }], 'lower')).toMatchObject({ setting: 'a', atEdge: true });
  });
  it('refuses an empty grid', () => {
    expect(() => bestByMean([], 'lower')).toThrow(/no settings/);
  });
});

describe('perSeed', () => {
  it('returns values in seed order and names a missing seed', () => {
    const done = [{ spec: { seed: 1, arm: 'a' }, result: 2 }, { spec: { seed: 0, arm: 'a' }, result: 1 }];
    expect(perSeed(done, [0, 1], (s) => s.arm === 'a', (r) => r)).toEqual([1, 2]);
    expect(() => perSeed(done, [0, 2], (s) => s.arm === 'a', (r) => r)).toThrow(/seed 2/);
  });
});

describe('gridOver and edgeExtension', () => {
  const done = [0.1, 0.01, 1].flatMap((lr) => [0, 1].map((seed) => ({ spec: { seed, lr, arm: 'x' }, result: { loss: lr === 1 ? 0.1 + seed : lr } })));
  it('lists the settings ascending with one value per seed', () => {
    expect(gridOver(done, [0, 1], (s) => s.arm === 'x', (s) => s.lr, (r) => r.loss)).toEqual([
      { setting: 0.01, values: [0.01, 0.01] },
      { setting: 0.1, values: [0.1, 0.1] },
      { setting: 1, values: [0.1, 1.1] },
    ]);
  });
  it('steps one ratio beyond an edge, and stops inside the grid or when the extensions are spent', () => {
    const grid = gridOver(done, [0, 1], (s) => s.arm === 'x', (s) => s.lr, (r) => r.loss);
    expect(edgeExtension(bestByMean(grid, 'lower'), 0, 10, 2)).toBe(0.001);
    expect(edgeExtension(bestByMean(grid, 'higher'), 1, 10, 2)).toBe(10);
    expect(edgeExtension(bestByMean(grid, 'higher'), 2, 10, 2)).toBeNull();
    expect(edgeExtension({ setting: 0.1, index: 1, mean: 0.1, atEdge: false }, 0, 10, 2)).toBeNull();
  });
});

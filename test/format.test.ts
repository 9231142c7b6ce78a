/** Tensors print as PyTorch prints them (torch 2.14's output for the same values is quoted). */
import { inspect } from 'node:util';
import { describe, it, expect } from 'vitest';
import { tensor, arange, zeros, Tensor } from '../src/index.js';

describe('tensor printing', () => {
  it('fixed with 4 decimals, right-aligned, one row per line', () => {
    // torch.tensor([[0.1, -0.2], [1.5, 3.0]])
    expect(String(tensor([[0.1, -0.2], [1.5, 3]]))).toBe('tensor([[ 0.1000, -0.2000],\n        [ 1.5000,  3.0000]])');
  });
  it("whole numbers with a trailing '.', scientific when magnitudes span more than 1000×, 0-d, empty", () => {
    expect(String(tensor([1, 2, 3]))).toBe('tensor([1., 2., 3.])');
    expect(String(tensor([1e-5, 2, 300]))).toBe('tensor([1.0000e-05, 2.0000e+00, 3.0000e+02])');
    expect(String(tensor(3.14159))).toBe('tensor(3.1416)');
    expect(String(zeros([0, 3]))).toBe('tensor([], size=[0, 3])');
    expect(String(tensor([NaN, Infinity, 1.5], [3], { dtype: 'float64' }))).toBe('tensor([   nan,    inf, 1.5000], dtype=float64)');
  });
  it('marks leaves that require grad and the op that made a result', () => {
    const x = tensor([1.5, -2], [2], { requiresGrad: true });
    expect(String(x)).toBe('tensor([ 1.5000, -2.0000], requiresGrad=true)');
    expect(String(x.mul(2))).toBe('tensor([ 3., -4.], gradFn=<mul>)');
  });
  it('summarizes past 1000 values with the first and last three of each long dim', () => {
    const text = String(arange(0, 2000).reshape([40, 50]));
    expect(text.split('\n')).toHaveLength(7);
    expect(text.startsWith('tensor([[   0.,    1.,    2., ...,   47.,   48.,   49.],')).toBe(true);
    expect(text).toContain('        ...,\n');
    expect(text.endsWith('[1950., 1951., 1952., ..., 1997., 1998., 1999.]])')).toBe(true);
  });
  it('wraps long rows at 80 columns', () => {
    const lines = String(arange(0, 30).div(7)).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });
  it("Node's inspector shows the print form, not the fields", () => {
    const t = tensor([0.5], [1]);
    expect(inspect(t)).toBe('tensor([0.5000])');
    expect(inspect({ w: t })).toContain('tensor([0.5000])');
    expect(t).toBeInstanceOf(Tensor);
  });
});

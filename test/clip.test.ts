import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { SparseRows, sparseRows } from '../src/tensor/sparse.js';
import { clipGradNorm, clipGradValue } from '../src/optim/clip.js';
import { assertAllclose, closeness } from './helpers/allclose.js';

interface Stored {
  shape: number[];
  data: number[];
}
interface NormCase {
  fn: 'clip_grad_norm';
  max_norm: number;
  norm_type: number | 'inf';
  grads: Stored[];
  total_norm: number;
  clipped: Stored[];
}
interface ValueCase {
  fn: 'clip_grad_value';
  clip_value: number;
  grads: Stored[];
  clipped: Stored[];
}

const golden = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/golden-2.14/clipping.json', import.meta.url)), 'utf8')) as {
  cases: Array<NormCase | ValueCase>;
};

/** Parameters whose `.grad` holds the stored gradients (the parameter values do not matter). */
function paramsWithGrads(grads: Stored[]): Tensor[] {
  return grads.map((g) => {
    const p = tensor(new Array(g.data.length).fill(0), g.shape, { requiresGrad: true });
    p.grad = tensor(g.data, g.shape);
    return p;
  });
}

function denseGrad(p: Tensor): Tensor {
  if (p.grad === null) throw new Error('expected a gradient');
  return p.grad instanceof SparseRows ? p.grad.toDense() : p.grad;
}

describe('clipGradNorm / clipGradValue against PyTorch 2.14', () => {
  // Float32 gradients: the clipped values are rounded to float32 once, the norms here are
  // summed in double while PyTorch sums in float32; rtol 1e-6 covers both.
  const tol = { rtol: 1e-6, atol: 1e-7 };
  let worstNorm = 0;
  let worstGrad = 0;

  for (const [i, c] of golden.cases.entries()) {
    const label = c.fn === 'clip_grad_norm' ? `case ${i}: clip_grad_norm max_norm ${c.max_norm} norm_type ${c.norm_type}` : `case ${i}: clip_grad_value ${c.clip_value}`;
    it(label, () => {
      const params = paramsWithGrads(c.grads);
      if (c.fn === 'clip_grad_norm') {
        const total = clipGradNorm(params, c.max_norm, { normType: c.norm_type });
        worstNorm = Math.max(worstNorm, closeness([total], [c.total_norm], tol).maxRelError);
        assertAllclose([total], [c.total_norm], tol, `${label}: total norm`);
      } else {
        clipGradValue(params, c.clip_value);
      }
      params.forEach((p, j) => {
        const reached = assertAllclose(denseGrad(p).data, c.clipped[j]!.data, tol, `${label}: grad ${j}`);
        worstGrad = Math.max(worstGrad, reached.maxRelError);
      });
    });
  }

  it('reports the worst errors reached', () => {
    console.log(`clipping golden: max rel error of total norms ${worstNorm.toExponential(2)}, of clipped grads ${worstGrad.toExponential(2)}`);
    expect(worstGrad).toBeLessThan(1e-6);
  });
});

describe('clipGradNorm', () => {
  it('returns ‖(‖g₁‖, ‖g₂‖)‖ and scales by maxNorm / (N + 1e-6) when N > maxNorm', () => {
    // g₁ = (3, 4): ‖g₁‖ = 5; g₂ = (12): ‖g₂‖ = 12; N = √(25 + 144) = 13.
    const [a, b] = paramsWithGrads([
      { shape: [2], data: [3, 4] },
      { shape: [1], data: [12] },
    ]);
    const total = clipGradNorm([a!, b!], 1);
    expect(total).toBeCloseTo(13, 12);
    const c = 1 / (13 + 1e-6);
    assertAllclose(denseGrad(a!).data, [3 * c, 4 * c], { rtol: 1e-7 }, 'g₁');
    assertAllclose(denseGrad(b!).data, [12 * c], { rtol: 1e-7 }, 'g₂');
  });

  it('p = 3 and p = ∞ are norms of the per-parameter norms', () => {
    const grads = [
      { shape: [2], data: [1, -2] },
      { shape: [2], data: [0.5, 3] },
    ];
    const p3 = clipGradNorm(paramsWithGrads(grads), 1e9, { normType: 3 });
    expect(p3).toBeCloseTo(Math.cbrt(1 + 8 + 0.125 + 27), 6);
    expect(clipGradNorm(paramsWithGrads(grads), 1e9, { normType: Infinity })).toBe(3);
    expect(clipGradNorm(paramsWithGrads(grads), 1e9, { normType: 'inf' })).toBe(3);
  });

  it('leaves gradients alone below maxNorm (the factor clamps at 1) and skips params without one', () => {
    const [a, b] = paramsWithGrads([{ shape: [2], data: [0.3, -0.4] }, { shape: [1], data: [0] }]);
    b!.grad = null;
    expect(clipGradNorm([a!, b!], 10)).toBeCloseTo(0.5, 7);
    assertAllclose(denseGrad(a!).data, [0.3, -0.4].map(Math.fround), { rtol: 0, atol: 0 }, 'unchanged (bitwise, in float32)');
    expect(b!.grad).toBeNull();
    expect(clipGradNorm([b!], 1)).toBe(0);
    expect(clipGradNorm(a!, 10)).toBeCloseTo(0.5, 7); // a single tensor is accepted too
  });

  it('treats a row-sparse gradient as the dense tensor it stands for (repeated rows add up)', () => {
    // Rows 2 and 0, with row 2 twice: dense rows 0 → (1, 1), 2 → (2 + 1, 4 + 0).
    const sparseParam = tensor(new Array(8).fill(0), [4, 2], { requiresGrad: true });
    sparseParam.grad = sparseRows([2, 0, 2], tensor([2, 4, 1, 1, 1, 0], [3, 2]), [4, 2]);
    const denseParam = tensor(new Array(8).fill(0), [4, 2], { requiresGrad: true });
    denseParam.grad = (sparseParam.grad as SparseRows).toDense();
    // ‖·‖₂ = √(1 + 1 + 9 + 16) = √27, not √(4 + 16 + 1 + 1 + 1) as the uncoalesced rows would give.
    const sparseTotal = clipGradNorm(sparseParam, 1);
    expect(sparseTotal).toBeCloseTo(Math.sqrt(27), 6);
    expect(clipGradNorm(denseParam, 1)).toBeCloseTo(sparseTotal, 12);
    assertAllclose(denseGrad(sparseParam).data, denseGrad(denseParam).data, { rtol: 1e-7, atol: 0 }, 'sparse vs dense clip');
  });

  it('errorIfNonfinite names the problem and changes nothing', () => {
    const params = paramsWithGrads([{ shape: [2], data: [1, 2] }, { shape: [1], data: [Number.NaN] }]);
    expect(() => clipGradNorm(params, 1, { errorIfNonfinite: true })).toThrow(/total norm of order 2 .* is NaN/);
    assertAllclose(denseGrad(params[0]!).data, [1, 2], { rtol: 0, atol: 0 }, 'untouched');
    const infinite = paramsWithGrads([{ shape: [1], data: [Infinity] }]);
    expect(() => clipGradNorm(infinite, 1, { errorIfNonfinite: true })).toThrow(/is Infinity/);
    // Without the flag PyTorch scales by the NaN factor; so do we.
    expect(Number.isNaN(clipGradNorm(params, 1))).toBe(true);
    expect(Number.isNaN(denseGrad(params[0]!).data[0]!)).toBe(true);
  });

  it('the ∞-norm sees a NaN wherever it sits, in dense and sparse gradients', () => {
    // max(|NaN|, 1, 2, 3) is NaN (PyTorch's max propagates NaN); a later, larger value must not hide it.
    for (const grads of [
      [{ shape: [3], data: [Number.NaN, 1, 2] }, { shape: [1], data: [3] }],
      [{ shape: [1], data: [3] }, { shape: [3], data: [1, Number.NaN, 2] }],
      [{ shape: [3], data: [1, 2, Number.NaN] }],
    ]) {
      const refused = paramsWithGrads(grads);
      expect(() => clipGradNorm(refused, 1, { normType: 'inf', errorIfNonfinite: true })).toThrow(/total norm of order Infinity .* is NaN/);
      refused.forEach((p, j) => expect([...denseGrad(p).data]).toEqual(grads[j]!.data.map(Math.fround)));
      const scaled = paramsWithGrads(grads);
      expect(clipGradNorm(scaled, 1, { normType: Infinity })).toBeNaN();
    }
    const sparseParam = tensor(new Array(6).fill(0), [3, 2], { requiresGrad: true });
    sparseParam.grad = sparseRows([0, 2], tensor([Number.NaN, 1, 5, 2], [2, 2]), [3, 2]);
    expect(() => clipGradNorm(sparseParam, 1, { normType: 'inf', errorIfNonfinite: true })).toThrow(/is NaN/);
    expect(clipGradNorm(sparseParam, 1, { normType: 'inf' })).toBeNaN();
    // A finite ∞-norm is still the largest magnitude, with negative entries counted by |g|.
    expect(clipGradNorm(paramsWithGrads([{ shape: [3], data: [1, -7, 2] }]), 100, { normType: 'inf', errorIfNonfinite: true })).toBe(7);
  });

  it('rejects a negative maxNorm and a normType that is not a positive number or ∞', () => {
    const params = paramsWithGrads([{ shape: [2], data: [1, 2] }]);
    expect(() => clipGradNorm(params, -1)).toThrow(/maxNorm must be a non-negative number, got -1/);
    expect(() => clipGradNorm(params, Number.NaN)).toThrow(/maxNorm/);
    expect(() => clipGradNorm(params, 1, { normType: 0 })).toThrow(/normType must be a positive number.*got 0/);
    expect(() => clipGradNorm(params, 1, { normType: 'max' as never })).toThrow(/normType .* got max/);
    assertAllclose(denseGrad(params[0]!).data, [1, 2], { rtol: 0, atol: 0 }, 'untouched');
  });
});

describe('clipGradValue', () => {
  it('clamps each entry to [−v, v]', () => {
    const [a] = paramsWithGrads([{ shape: [4], data: [-3, -0.2, 0.2, 3] }]);
    clipGradValue([a!], 1);
    assertAllclose(denseGrad(a!).data, [-1, -0.2, 0.2, 1].map(Math.fround), { rtol: 0, atol: 0 }, 'clamped');
  });

  it('clamps the summed rows of a sparse gradient, not each repeated row', () => {
    // Row 1 appears twice with 0.75: the dense value 1.5 clamps to 1, not 2 · 0.75.
    const p = tensor([0, 0, 0, 0], [2, 2], { requiresGrad: true });
    p.grad = sparseRows([1, 1], tensor([0.75, -0.25, 0.75, -0.25], [2, 2]), [2, 2]);
    clipGradValue(p, 1);
    assertAllclose(denseGrad(p).data, [0, 0, 1, -0.5], { rtol: 0, atol: 0 }, 'coalesced then clamped');
  });

  it('rejects a negative clipValue', () => {
    const params = paramsWithGrads([{ shape: [1], data: [5] }]);
    expect(() => clipGradValue(params, -0.5)).toThrow(/clipValue must be a non-negative number, got -0.5/);
    expect(denseGrad(params[0]!).data[0]).toBe(5);
  });
});

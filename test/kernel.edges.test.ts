/**
 * The rules the two kernel paths keep at float32's edges (docs/ARCHITECTURE.md, "Edge cases on
 * the two kernel paths"), one case per rule with the value PyTorch's definition gives; the fuzz
 * suite's "kernel paths" target checks the same rules on random edge-case tensors.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { Adam, LARS, RAdam, RMSprop, SGD } from '../src/optim/index.js';
import { withKernelBackend } from '../src/wasm/backend.js';

type Build = (params: Tensor[]) => { step(): unknown };

/** The params after `steps` steps on one kernel path; `grads` is one gradient for every step, or one per step. */
function run(backend: 'js' | 'wasm', build: Build, values: number[], grads: number[] | number[][], steps = 1): number[] {
  return withKernelBackend(backend, () => {
    const p = new Tensor(Float32Array.from(values), [values.length], { requiresGrad: true });
    const optimizer = build([p]);
    for (let t = 0; t < steps; t++) {
      const g = (Array.isArray(grads[0]) ? grads[t] : grads) as number[];
      p.grad = new Tensor(Float32Array.from(g), [g.length]);
      optimizer.step();
    }
    return Array.from(p.data);
  });
}

function bothPaths(build: Build, values: number[], grads: number[] | number[][], steps = 1): [number[], number[]] {
  return [run('js', build, values, grads, steps), run('wasm', build, values, grads, steps)];
}

describe('kernel paths at the edges', () => {
  it('λ = 0 adds no decay term: an infinite parameter stays infinite (0·∞ would be NaN)', () => {
    for (const build of [(p: Tensor[]) => new Adam(p, { lr: 0.1 }), (p: Tensor[]) => new SGD(p, { lr: 0.1, momentum: 0.9 }), (p: Tensor[]) => new Adam(p, { lr: 0.1, maximize: true })] as Build[]) {
      const [js, wasm] = bothPaths(build, [-Infinity, 1, Infinity], [0.5, 0.5, 0.5]);
      expect(js[0]).toBe(-Infinity);
      expect(js[2]).toBe(Infinity);
      expect(wasm).toEqual(js.map((v, i) => (i === 1 ? wasm[1] : v)));
      expect(Math.abs(wasm[1]! - js[1]!)).toBeLessThan(1e-6);
    }
  });

  it('running means of an infinite gradient stay infinite on the second step ((1 − c)·m + c·x, not m + c·(x − m))', () => {
    // RAdam's first steps are momentum SGD: w − lr·m̂ with m̂ = ∞ gives −∞ on both paths.
    const [js, wasm] = bothPaths((p) => new RAdam(p, { lr: 0.01 }), [1, 2], [Infinity, 1], 2);
    expect(js[0]).toBe(-Infinity);
    expect(wasm[0]).toBe(-Infinity);
    expect(Math.abs(wasm[1]! - js[1]!)).toBeLessThan(1e-6);
  });

  it('subnormal-scale parameters keep their trust ratio (norms squared in doubles on both paths)', () => {
    // ‖w‖ ≈ 1e-30: its square underflows float32, which made the fused LARS see ‖w‖ = 0 and step by lr·g.
    const values = [1e-30, -2e-30, 3e-30];
    const [js, wasm] = bothPaths((p) => new LARS(p, { lr: 1, momentum: 0, trustCoefficient: 0.001 }), values, [1, 1, 1]);
    // r = η‖w‖/‖g‖ = 0.001·√14e-30/√3 ≈ 2.16e-33: the step barely moves w.
    values.forEach((v, i) => {
      expect(Math.abs(js[i]! - v)).toBeLessThan(1e-32);
      expect(Math.abs(wasm[i]! - js[i]!)).toBeLessThanOrEqual(Math.abs(js[i]!) * 1e-5);
    });
  });

  it("centered RMSprop's v − ḡ² never goes below 0 (so tiny gradients give no NaN)", () => {
    // Step 1 stores v = 0.01·g² ≈ 6e-57, which float32 flushes to 0, and ḡ ≈ −7.9e-30, which it
    // keeps; at step 2 (g = 1.4e-45) v ≈ 2e-92 in doubles while ḡ² ≈ 6e-59: v − ḡ² < 0.
    const [js, wasm] = bothPaths((p) => new RMSprop(p, { lr: 0.3, centered: true, momentum: 0.99 }), [-1.2040685289094188e-11], [[-7.8513297892415865e-28], [1.4e-45]], 2);
    expect(js.every(Number.isFinite)).toBe(true);
    expect(wasm.every(Number.isFinite)).toBe(true);
  });
});

/** State dicts no run produces are refused in descent's words, and nothing changes. */
import { describe, it, expect } from 'vitest';
import { tensor } from '../src/index.js';
import { Adam, LBFGS, Lookahead, SGD } from '../src/optim/index.js';

function trainedAdam(): Adam {
  const p = tensor([1, -2, 3], [3], { requiresGrad: true });
  const adam = new Adam([p], { lr: 0.1 });
  p.grad = tensor([0.5, 0.5, -1], [3]);
  adam.step();
  return adam;
}

/** A value wrapped in `depth` single-element arrays. */
function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('hostile state dicts', () => {
  it('a moment beyond float32 range is refused for a float32 parameter (it would load as ∞)', () => {
    const adam = trainedAdam();
    const before = JSON.stringify(adam.stateDict());
    const hostile = JSON.parse(before) as { state: Record<string, { exp_avg: { data: number[] } }> };
    hostile.state['0']!.exp_avg.data[1] = 1e308;
    expect(() => adam.loadStateDict(hostile as never)).toThrow(/Adam\.loadStateDict: .*'exp_avg' holds 1e\+308 at element 1, beyond float32's range/);
    expect(JSON.stringify(adam.stateDict())).toBe(before);
    const fine = JSON.parse(before) as typeof hostile;
    fine.state['0']!.exp_avg.data[1] = 3.4e38;
    expect(() => adam.loadStateDict(fine as never)).not.toThrow();
  });

  it('values nested 10⁵ deep are refused by name, not by a stack overflow, in optimizers and wrappers', () => {
    const adam = trainedAdam();
    const deep = JSON.parse(JSON.stringify(adam.stateDict())) as { state: Record<string, Record<string, unknown>> };
    deep.state['0']!.exp_avg = nested(100_000);
    expect(() => adam.loadStateDict(deep as never)).toThrow(/Adam\.loadStateDict: values are nested more than 16 levels deep/);
    const lbfgs = new LBFGS([tensor([1, 2], [2], { requiresGrad: true })]);
    expect(() => lbfgs.loadStateDict({ state: { 0: { d: nested(100_000) } }, param_groups: [] } as never)).toThrow(/LBFGS\.loadStateDict: values are nested more than 16 levels deep/);
    const lookahead = new Lookahead(new SGD([tensor([1, 2], [2], { requiresGrad: true })], { lr: 0.1 }));
    expect(() => lookahead.loadStateDict({ base: nested(100_000) } as never)).toThrow(/Lookahead\.loadStateDict: values are nested more than 16 levels deep/);
    expect(() => lookahead.loadStateDict({ ...(lookahead.stateDict() as object), slow_weights: { 0: null } } as never)).toThrow(/Lookahead\.loadStateDict: slow_weights\['0'\] must be a tensor/);
  });
});

describe('hostile scheduler options', () => {
  it('a cycle too long to count is refused before the param groups change', async () => {
    const { CyclicLR } = await import('../src/index.js');
    const sgd = new SGD([tensor([1], [1], { requiresGrad: true })], { lr: 0.5, momentum: 0.9 });
    expect(() => new CyclicLR(sgd, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 1e308 })).toThrow(/stepSizeUp \+ stepSizeDown \(1e\+308 \+ 1e\+308\) must be a finite number of steps/);
    expect(sgd.paramGroups[0]!.lr).toBe(0.5);
    expect(sgd.paramGroups[0]!.momentum).toBe(0.9);
  });
});

/**
 * PyTorch 2.14's golden cases (test/fixtures/golden-2.14/, from real PyTorch 2.14.1; its README
 * explains them), replayed for one optimizer on both kernel paths through the registry's spec:
 * every param after every step, then the state dict (PyTorch's layout, close values).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend } from '../../src/wasm/backend.js';
import { getOptimizerSpec } from '../../src/optim/registry.js';
import type { Tolerance } from './allclose.js';
import { camelOptions, compareStateDict, replayGolden, type GoldenCase } from './golden.js';

let cases: GoldenCase[] | null = null;

/** The 2.14 cases of PyTorch's class `optimizer` (`Rprop`, ...). */
export function goldenCases214(optimizer: string): GoldenCase[] {
  if (cases === null) {
    const path = fileURLToPath(new URL('../fixtures/golden-2.14/optimizers.json', import.meta.url));
    cases = (JSON.parse(readFileSync(path, 'utf8')) as { cases: GoldenCase[] }).cases;
  }
  const found = cases.filter((c) => c.optimizer === optimizer);
  if (found.length === 0) throw new Error(`no PyTorch 2.14 golden case for ${optimizer}`);
  return found;
}

/**
 * One test per case and kernel path: params within `tol` of PyTorch's after every step, and the
 * final state dict PyTorch's, its tensors within `tol`. `tol` is what correct code reaches, so a
 * small error in a rarely used option still fails.
 */
export function describeGolden214(optimizer: string, tol: Required<Tolerance>): void {
  describe.each(['js', 'wasm'] as const)(`${optimizer}: PyTorch 2.14 golden cases, %s kernels`, (backend) => {
    beforeAll(() => setKernelBackend(backend));
    afterAll(() => setKernelBackend('auto'));
    const spec = getOptimizerSpec(optimizer);
    test.each(goldenCases214(optimizer).map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const result = replayGolden(c, (params) => spec.create(params as never, camelOptions(c.options) as never), tol);
      expect(result.failure).toBeNull();
      const state = compareStateDict(JSON.parse(JSON.stringify(result.optimizer.stateDict())), c.state_dict, tol);
      expect(state.mismatches).toEqual([]);
    });
  });
}

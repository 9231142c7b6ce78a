/**
 * Parity with PyTorch 1.13: every golden case of descent's own optimizers (all of
 * test/fixtures/golden/optimizers.json except LBFGS, Lookahead and SAM, tested with their
 * classes) is replayed through the public API, once per kernel backend: 'js' (the plain
 * TypeScript kernels, one call per parameter) and 'wasm' (the fused WebAssembly SIMD kernels, one
 * call per param group over its arena). After every step each param must be within rtol 1e-4 /
 * atol 1e-5 of PyTorch's float32 values, and the final `stateDict()` must have PyTorch's layout,
 * keys and (close) values. The JS kernels compute each update in doubles and store float32; the
 * WebAssembly ones compute in float32 as PyTorch does, in another order: about 1e-7 relative per
 * step either way.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setKernelBackend, type KernelBackend } from '../src/wasm/backend.js';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, LAMB, LARS, NAdam, RAdam, RMSprop, SGD, SparseAdam, type Optimizer } from '../src/optim/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { camelOptions, compareStateDict, gradientFromGolden, loadGoldenOptimizers, paramsInput, quadraticClosure, replayGolden, GOLDEN_TOLERANCE } from './helpers/golden.js';
import { assertAllclose } from './helpers/allclose.js';

type Factory = (params: never, options: Record<string, unknown>) => Optimizer<object>;
const classes: Record<string, Factory> = {
  SGD: (p, o) => new SGD(p, o),
  Adagrad: (p, o) => new Adagrad(p, o),
  RMSprop: (p, o) => new RMSprop(p, o),
  Adam: (p, o) => new Adam(p, o),
  AdamW: (p, o) => new AdamW(p, o),
  Adadelta: (p, o) => new Adadelta(p, o),
  Adamax: (p, o) => new Adamax(p, o),
  NAdam: (p, o) => new NAdam(p, o),
  RAdam: (p, o) => new RAdam(p, o),
  SparseAdam: (p, o) => new SparseAdam(p, o),
  LAMB: (p, o) => new LAMB(p, o),
  LARS: (p, o) => new LARS(p, o),
};
/** Not PyTorch classes: their golden data have trajectories but no state_dict. */
const coveredElsewhere = new Set(['LBFGS', 'Lookahead', 'SAM']);

const cases = loadGoldenOptimizers().cases.filter((c) => !coveredElsewhere.has(c.optimizer));

interface Row {
  case: string;
  steps: number;
  maxAbs: number;
  maxRel: number;
  stateAbs: number | null;
  stateRel: number | null;
}

/** Every state tensor of every parameter: on the fused path, views into the parameter's arena. */
function stateTensors(optimizer: Optimizer<object>): Array<[Tensor, Tensor]> {
  return [...optimizer.state].flatMap(([param, state]) => Object.values(state).filter((v): v is Tensor => v instanceof Tensor).map((t) => [param, t] as [Tensor, Tensor]));
}

describe.each(['js', 'wasm'] as const)('golden PyTorch trajectories, %s kernels', (backend: KernelBackend) => {
  const rows: Row[] = [];
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend('auto'));

  test('every optimizer of this suite has golden cases', () => {
    const seen = new Set(cases.map((c) => c.optimizer));
    expect([...seen].sort()).toEqual(Object.keys(classes).sort());
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const make = classes[c.optimizer]!;
    const result = replayGolden(c, (params) => make(params as never, camelOptions(c.options)));
    const row: Row = { case: c.name, steps: c.steps, maxAbs: result.maxAbsError, maxRel: result.maxRelError, stateAbs: null, stateRel: null };
    rows.push(row);
    expect(result.failure).toBeNull();

    const optimizer = result.optimizer as Optimizer<object>;
    // The path really taken: state next to its parameter in one arena, or in arrays of its own.
    for (const [param, t] of stateTensors(optimizer)) expect(t.data.buffer === param.data.buffer).toBe(backend === 'wasm');

    if (c.state_dict !== undefined) {
      const sd = optimizer.stateDict();
      const cmp = compareStateDict(JSON.parse(JSON.stringify(sd)), c.state_dict, GOLDEN_TOLERANCE);
      row.stateAbs = cmp.maxAbsError;
      row.stateRel = cmp.maxRelError;
      expect(cmp.mismatches).toEqual([]);
    }
  });

  test.each(cases.filter((c) => c.state_dict !== undefined).map((c) => [c.name, c] as const))('%s: PyTorch’s own state_dict loads, round-trips, and the next step matches ours', (_name, c) => {
    const make = classes[c.optimizer]!;
    // Ours after the replay, and a fresh optimizer (same final params) fed PyTorch's state_dict.
    const ours = replayGolden(c, (params) => make(params as never, camelOptions(c.options)));
    const freshParams = ours.params.map((p) => new Tensor(Float32Array.from(p.data), [...p.shape], { requiresGrad: true }));
    const fresh = make(paramsInput(c, freshParams) as never, camelOptions(c.options));
    fresh.loadStateDict(JSON.parse(JSON.stringify(c.state_dict)));
    const roundTrip = compareStateDict(JSON.parse(JSON.stringify(fresh.stateDict())), c.state_dict, { rtol: 0, atol: 0 });
    expect(roundTrip.mismatches).toEqual([]);

    // One more step from PyTorch's state and from ours, with the first step's gradients again.
    const optimizer = ours.optimizer as Optimizer<object>;
    const gradsOrClosure = (params: Tensor[]) => {
      if (c.closure) return quadraticClosure(c, params);
      params.forEach((p, i) => (p.grad = gradientFromGolden(c.grads![0]![i] ?? null, p)));
      return undefined;
    };
    optimizer.step(gradsOrClosure(ours.params));
    fresh.step(gradsOrClosure(freshParams));
    ours.params.forEach((p, i) => assertAllclose(freshParams[i]!.data, p.data, GOLDEN_TOLERANCE, `${c.name} param ${i}`));
  });

  afterAll(() => {
    const fmt = (x: number | null) => (x === null ? '—' : x.toExponential(2));
    const byOptimizer = new Map<string, { abs: number; rel: number }>();
    for (const r of rows) {
      const name = r.case.split('/')[0]!;
      const acc = byOptimizer.get(name) ?? { abs: 0, rel: 0 };
      byOptimizer.set(name, { abs: Math.max(acc.abs, r.maxAbs, r.stateAbs ?? 0), rel: Math.max(acc.rel, r.maxRel, r.stateRel ?? 0) });
    }
    const lines = [
      `golden parity, ${backend} kernels (params after every step; final state dict)`,
      `${'case'.padEnd(28)} steps  max abs    max rel    state abs  state rel`,
      ...rows.map((r) => `${r.case.padEnd(28)} ${String(r.steps).padStart(5)}  ${fmt(r.maxAbs).padEnd(9)}  ${fmt(r.maxRel).padEnd(9)}  ${fmt(r.stateAbs).padEnd(9)}  ${fmt(r.stateRel)}`),
      '',
      `per optimizer (params and state), ${backend} kernels:`,
      ...[...byOptimizer].map(([n, e]) => `  ${n.padEnd(12)} max abs ${fmt(e.abs)}  max rel ${fmt(e.rel)}`),
      `overall, ${backend} kernels: max abs ${fmt(Math.max(...rows.map((r) => Math.max(r.maxAbs, r.stateAbs ?? 0))))}, max rel ${fmt(Math.max(...rows.map((r) => Math.max(r.maxRel, r.stateRel ?? 0))))} (tolerance rtol ${GOLDEN_TOLERANCE.rtol}, atol ${GOLDEN_TOLERANCE.atol})`,
    ];
    console.log(lines.join('\n'));
  });
});

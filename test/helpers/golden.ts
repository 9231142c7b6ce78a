/**
 * Replays PyTorch's golden optimizer trajectories (test/fixtures/golden-2.14/optimizers.json, made
 * by PyTorch 2.14.1; test/fixtures/golden/ holds PyTorch 1.13's, kept for reading old state dicts) through
 * descent's public API and measures how close every step comes.
 *
 * A case gives initial params, then per step either the gradients to install (dense, or row-sparse
 * with possibly repeated rows) or a quadratic closure L(w) = ½ Σ a (w − b)², and the params PyTorch
 * had after each step. `replayGolden` builds the params as float32 Tensors, makes the optimizer with
 * the caller's factory, runs the steps and compares every step's params (and each closure loss),
 * keeping the worst absolute and relative error; `compareStateDict` then checks the final
 * `stateDict()` against PyTorch's `state_dict()` (same layout, same keys, close values).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/tensor/tensor.js';
import { SparseRows } from '../../src/tensor/sparse.js';
import { closeness, type Tolerance } from './allclose.js';

export interface GoldenTensor {
  shape: number[];
  data: number[];
}

export interface GoldenSparseGrad {
  sparse: true;
  indices: number[];
  values: GoldenTensor;
}

export type GoldenGrad = GoldenTensor | GoldenSparseGrad | null;

export interface GoldenClosure {
  kind: 'quadratic';
  a: GoldenTensor[];
  b: GoldenTensor[];
  losses: number[];
}

export interface GoldenCase {
  name: string;
  /** PyTorch's class name, or LAMB / LARS / Lookahead / SAM. */
  optimizer: string;
  /** Constructor options with PyTorch's snake_case names. */
  options: Record<string, unknown>;
  groups?: Array<{ params: number[]; options?: Record<string, unknown> }>;
  params: GoldenTensor[];
  steps: number;
  grads?: GoldenGrad[][];
  closure?: GoldenClosure;
  /** Per step, per param: flat values after that step. */
  trajectory: number[][][];
  state_dict?: unknown;
}

export interface GoldenFile {
  generator: string;
  set: string;
  cases: GoldenCase[];
}

/** The tolerance the golden README promises with float32 storage. */
export const GOLDEN_TOLERANCE: Required<Tolerance> = { rtol: 1e-4, atol: 1e-5 };

/**
 * The golden sets: PyTorch 2.14's (the reference), cases for the options 2.14's set leaves at
 * their defaults (`extra`, made by scripts/golden-extra.py with the same PyTorch), and 1.13's (old
 * state dicts).
 */
export type GoldenSet = '2.14' | 'extra' | '1.13';

const FOLDERS: Record<GoldenSet, string> = { '2.14': 'golden-2.14', extra: 'golden-2.14-extra', '1.13': 'golden' };
const cached = new Map<GoldenSet, GoldenFile>();

export function loadGoldenOptimizers(set: GoldenSet = '2.14'): GoldenFile {
  let file = cached.get(set);
  if (file === undefined) {
    const path = fileURLToPath(new URL(`../fixtures/${FOLDERS[set]}/optimizers.json`, import.meta.url));
    file = JSON.parse(readFileSync(path, 'utf8')) as GoldenFile;
    cached.set(set, file);
  }
  return file;
}

export function goldenCase(name: string, set: GoldenSet = '2.14'): GoldenCase {
  const found = loadGoldenOptimizers(set).cases.find((c) => c.name === name);
  if (!found) throw new Error(`no golden case named '${name}'`);
  return found;
}

/** PyTorch's option names in descent's camelCase (`weight_decay` → `weightDecay`), values as they are. */
export function camelOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

export function tensorFromGolden(t: GoldenTensor, requiresGrad = false): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad });
}

/** The case's initial params as float32 leaf Tensors that require grad. */
export function buildParams(c: GoldenCase): Tensor[] {
  return c.params.map((p) => tensorFromGolden(p, true));
}

export function gradientFromGolden(g: GoldenGrad, param: Tensor): Tensor | SparseRows | null {
  if (g === null) return null;
  if ('sparse' in g) return new SparseRows(g.indices, tensorFromGolden(g.values), param.shape);
  return tensorFromGolden(g);
}

/**
 * What to pass as an optimizer's `params`: the tensors, or, for cases with `groups`, param groups
 * with their overrides in camelCase.
 */
export function paramsInput(c: GoldenCase, params: Tensor[]): Tensor[] | Array<Record<string, unknown> & { params: Tensor[] }> {
  if (!c.groups) return params;
  return c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), ...camelOptions(g.options ?? {}) }));
}

/**
 * The case's closure: zeroes the params' gradients, computes L(w) = ½ Σ a (w − b)² with tensor
 * ops and backpropagates, so dL/dw = a (w − b) arrives through autograd. Returns the loss tensor.
 */
export function quadraticClosure(c: GoldenCase, params: Tensor[]): () => Tensor {
  const spec = c.closure;
  if (!spec || spec.kind !== 'quadratic') throw new Error(`${c.name}: no quadratic closure`);
  const a = spec.a.map((t) => tensorFromGolden(t));
  const b = spec.b.map((t) => tensorFromGolden(t));
  return () => {
    for (const p of params) p.grad = null;
    let loss: Tensor | null = null;
    params.forEach((w, i) => {
      const term = w.sub(b[i]!).square().mul(a[i]!).sum();
      loss = loss === null ? term : loss.add(term);
    });
    const total = (loss as unknown as Tensor).mul(0.5);
    total.backward();
    return total;
  };
}

/** The least an optimizer (or a wrapper such as Lookahead) must offer to be replayed. */
export interface Steppable {
  step(closure?: () => Tensor): unknown;
}

export interface ReplayResult<O extends Steppable = Steppable> {
  optimizer: O;
  params: Tensor[];
  /** Worst errors over every value of every step (params and closure losses). */
  maxAbsError: number;
  maxRelError: number;
  /** First step (1-based) and param whose values were not within tolerance, if any. */
  failure: string | null;
}

/**
 * Runs the case: builds params, makes the optimizer, installs each step's gradients (or steps
 * with the closure) and compares params after every step. Does not throw on a mismatch: the
 * caller asserts on `failure` so that the worst error is reported either way.
 */
export function replayGolden<O extends Steppable>(c: GoldenCase, makeOptimizer: (params: ReturnType<typeof paramsInput>, tensors: Tensor[]) => O, tol: Tolerance = GOLDEN_TOLERANCE): ReplayResult<O> {
  const params = buildParams(c);
  const optimizer = makeOptimizer(paramsInput(c, params), params);
  const closure = c.closure ? quadraticClosure(c, params) : null;
  let maxAbsError = 0;
  let maxRelError = 0;
  let failure: string | null = null;
  const record = (actual: ArrayLike<number>, expected: ArrayLike<number>, label: string) => {
    const r = closeness(actual, expected, tol);
    maxAbsError = Math.max(maxAbsError, r.maxAbsError);
    maxRelError = Math.max(maxRelError, r.maxRelError);
    if (!r.ok && failure === null) {
      failure = `${c.name}: ${label}: value ${r.worstIndex} is ${actual[r.worstIndex]}, PyTorch has ${expected[r.worstIndex]} (max abs error ${r.maxAbsError.toExponential(3)})`;
    }
  };

  for (let step = 0; step < c.steps; step++) {
    if (closure !== null) {
      const loss = optimizer.step(closure);
      const value = loss instanceof Tensor ? loss.item() : (loss as number);
      record([value], [c.closure!.losses[step]!], `step ${step + 1} loss`);
    } else {
      const grads = c.grads![step]!;
      params.forEach((p, i) => {
        p.grad = gradientFromGolden(grads[i] ?? null, p);
      });
      optimizer.step();
    }
    params.forEach((p, i) => record(p.data, c.trajectory[step]![i]!, `step ${step + 1}, param ${i}`));
  }
  return { optimizer, params, maxAbsError, maxRelError, failure };
}

export interface StateDictComparison {
  /** Layout differences (missing or extra keys, shapes, types, unequal non-numeric values). */
  mismatches: string[];
  maxAbsError: number;
  maxRelError: number;
}

/**
 * Compares a state dict with PyTorch's recorded one: every object has the same keys, every tensor
 * `{shape, data}` the same shape and close values, every number is close, everything else equal.
 */
export function compareStateDict(actual: unknown, expected: unknown, tol: Tolerance = GOLDEN_TOLERANCE): StateDictComparison {
  const out: StateDictComparison = { mismatches: [], maxAbsError: 0, maxRelError: 0 };
  const isTensor = (x: unknown): x is GoldenTensor => x !== null && typeof x === 'object' && !Array.isArray(x) && 'shape' in x && 'data' in x;
  const numbers = (a: ArrayLike<number>, e: ArrayLike<number>, path: string) => {
    const r = closeness(a, e, tol);
    out.maxAbsError = Math.max(out.maxAbsError, r.maxAbsError);
    out.maxRelError = Math.max(out.maxRelError, r.maxRelError);
    if (!r.ok) out.mismatches.push(`${path}: value ${r.worstIndex} is ${a[r.worstIndex]}, expected ${e[r.worstIndex]}`);
  };
  const walk = (a: unknown, e: unknown, path: string) => {
    if (isTensor(e)) {
      if (!isTensor(a)) return void out.mismatches.push(`${path}: expected a tensor, got ${JSON.stringify(a)}`);
      if (JSON.stringify(a.shape) !== JSON.stringify(e.shape)) return void out.mismatches.push(`${path}: shape ${JSON.stringify(a.shape)}, expected ${JSON.stringify(e.shape)}`);
      return numbers(a.data, e.data, path);
    }
    if (typeof e === 'number') {
      if (typeof a !== 'number') return void out.mismatches.push(`${path}: expected the number ${e}, got ${JSON.stringify(a)}`);
      return numbers([a], [e], path);
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || a.length !== e.length) return void out.mismatches.push(`${path}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
      return e.forEach((x, i) => walk(a[i], x, `${path}[${i}]`));
    }
    if (e !== null && typeof e === 'object') {
      if (a === null || typeof a !== 'object' || Array.isArray(a)) return void out.mismatches.push(`${path}: expected an object, got ${JSON.stringify(a)}`);
      const ek = Object.keys(e);
      const ak = Object.keys(a);
      const missing = ek.filter((k) => !ak.includes(k));
      const extra = ak.filter((k) => !ek.includes(k));
      if (missing.length) out.mismatches.push(`${path}: missing keys ${missing.join(', ')}`);
      if (extra.length) out.mismatches.push(`${path}: unexpected keys ${extra.join(', ')}`);
      for (const k of ek) if (ak.includes(k)) walk((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${path}.${k}`);
      return;
    }
    if (a !== e) out.mismatches.push(`${path}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
  };
  walk(actual, expected, 'state_dict');
  return out;
}

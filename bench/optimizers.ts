/**
 * descent's side of the optimizer benchmark: the optimizer classes' `step()` on both kernel
 * backends (what a user's training loop pays), the fused WebAssembly kernel alone over an arena
 * (what the class adds on top of it), and the memory-bandwidth floor over an arena of the same
 * layout.
 *
 * One `Spec` per optimizer configuration names its class and options, the passes its floor
 * streams (arrays read, arrays written), the bare fused call, and the peers' equivalents.
 * Gradients arrive as backward leaves them: `accumulateGrad` after `zeroGrad`, which on the
 * fused path writes into the parameter's gradient slot in the arena.
 *
 * The bare kernels run in this process. Each class runs in a child process of its own,
 * as the peers do: the per-parameter bookkeeping of every class is one shared loop
 * (`FusedRunner.step`, src/optim/wasm/runner.ts), and after a dozen classes have run through it in one process
 * V8's inline caches there are megamorphic, which adds up to 30 ns per tensor that a training
 * program, running one optimizer, never pays.
 *
 * A floor is always timed in the process, and in the same stretch of time, as the step it is
 * the floor of: the class's step in its child, the bare kernel here. On a shared machine the
 * memory bandwidth drifts by several percent between runs seconds apart, and a ratio of a step
 * timed in one process to a floor timed earlier in another (as this file once did) read Adam
 * at 0.95× its floor on 16M parameters, where side by side it is 1.07–1.08×.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../src/tensor/tensor.js';
import { SparseRows } from '../src/tensor/sparse.js';
import { Generator } from '../src/tensor/random.js';
import { withKernelBackend, type KernelBackend } from '../src/wasm/backend.js';
import { workersServing } from '../src/wasm/pool.js';
import { splitKernel } from '../src/wasm/parallel.js';
import { withThreads } from '../src/wasm/threads.js';
import { ParamArena, type StagedRows } from '../src/optim/wasm/arena.js';
import * as fused from '../src/optim/wasm/fused.js';
import { momentumSgdFused } from '../src/optim/sgd.js';
import { adagradFused, adagradFusedRows } from '../src/optim/adagrad.js';
import { rmspropFused } from '../src/optim/rmsprop.js';
import { adamFused } from '../src/optim/adam.js';
import { adadeltaFused } from '../src/optim/adadelta.js';
import { adamaxFused } from '../src/optim/adamax.js';
import { nadamFused } from '../src/optim/nadam.js';
import { radamFused } from '../src/optim/radam.js';
import { sparseAdamFusedRows } from '../src/optim/sparse_adam.js';
import { lambFused } from '../src/optim/lamb.js';
import { larsTrustRatio } from '../src/optim/kernels/scalars.js';
import { getOptimizerSpec } from '../src/optim/registry.js';
import { arenaArraysOf, type KernelOptimizerSpec } from '../src/optim/spec.js';

/** The arena arrays the optimizer `id` keeps under these options (its spec's state table). */
function fusedStateArrays(id: string, options: Record<string, unknown> = {}): readonly string[] {
  const spec = getOptimizerSpec(id) as KernelOptimizerSpec;
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return arenaArraysOf(spec, { ...spec.defaults, ...given });
}
import * as scalars from '../src/optim/kernels/scalars.js';
import type { AdagradHyper, AdamHyper, AdadeltaHyper, AdamaxHyper, NadamHyper, RadamHyper, RmspropHyper, SparseAdamHyper } from '../src/optim/kernels/index.js';

export interface Workload {
  label: string;
  /** Tensors of `size` values each; a sparse workload has one tensor of `size / width` rows. */
  count: number;
  size: number;
  width?: number;
  /** Sparse: distinct rows the gradient touches. */
  rows?: number;
  /**
   * Gradients assigned with `p.grad = t` before every step (as interop and adapters do), not left
   * by backward: two sets of gradient tensors built before the timing, assigned in alternation;
   * the timed call is the assignment and the step (`assignAndStep`).
   */
  assignGrads?: boolean;
  /** Threads the step and its floor run on (default 1); the floor's writing passes are cut as the step's kernel is. */
  threads?: number;
}

type Pass = [reads: number, writes: number];

export interface Spec {
  key: string;
  label: string;
  sparse?: boolean;
  /** The class (module path under src/optim, export name) and its options. */
  js: { module: string; name: string; options: Record<string, unknown> };
  /** Arena state arrays, in region order (`fusedStateArrays` of the class's configuration). */
  state: readonly string[];
  /** The floor's passes; a sparse floor is one `streamRows` pass over the state rows. */
  floor: Pass[];
  /** LAMB and LARS need per-param segments (their trust ratios are per param). */
  perParam?: boolean;
  /**
   * Its fused kernel takes a square root and a division per vector (at least): the bench times
   * that arithmetic alone beside the step (`sqrtDivide`, asm/floor.ts), the step's bound where
   * its arrays sit in cache.
   */
  sqrtDivide?: true;
  /** The bare fused call over every listed param, at step t. */
  kernel?(arena: ParamArena, indices: readonly number[], t: number): void;
  kernelRows?(arena: ParamArena, staged: StagedRows, t: number): void;
  tfjs?: string;
  torch?: { cls: string; kwargs: Record<string, unknown> };
}

const adamH: AdamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, stepSize: 0, bc2Sqrt: 1 };
const adagradH: AdagradHyper = { clr: 0, eps: 0, gradScale: 1, weightDecay: 0 };
const rmspropH: RmspropHyper = { lr: 0, alpha: 0, eps: 0, momentum: 0, gradScale: 1, weightDecay: 0 };
const adadeltaH: AdadeltaHyper = { lr: 0, rho: 0, eps: 0, gradScale: 1, weightDecay: 0 };
const adamaxH: AdamaxHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, stepSize: 0 };
const nadamH: NadamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, bc2: 1, gradStep: 0, momentumStep: 0 };
const radamH: RadamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, adaptiveStep: 0, plainStep: 0 };
const sparseAdamH: SparseAdamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, stepSize: 0 };

const betas: [number, number] = [0.9, 0.999];
const sgdOptions = (momentum: number) => ({ lr: 0.01, momentum, dampening: 0, weightDecay: 0, nesterov: false });
const rmspropOptions = (centered: boolean, momentum: number) => ({ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum, centered });
const adagradOptions = { lr: 0.01, lrDecay: 0, weightDecay: 0, eps: 1e-10 };

export const SPECS: Spec[] = [
  {
    key: 'sgd', label: 'SGD', state: fusedStateArrays('sgd'), floor: [[2, 1]],
    kernel: (a, i, t) => momentumSgdFused(a, i, sgdOptions(0), t === 1, null),
    js: { module: 'sgd', name: 'SGD', options: { lr: 0.01 } }, tfjs: 'sgd', torch: { cls: 'SGD', kwargs: { lr: 0.01 } },
  },
  {
    key: 'momentum', label: 'SGD momentum 0.9', state: fusedStateArrays('sgd', { momentum: 0.9 }), floor: [[3, 2]],
    kernel: (a, i, t) => momentumSgdFused(a, i, sgdOptions(0.9), t === 1, null),
    js: { module: 'sgd', name: 'SGD', options: { lr: 0.01, momentum: 0.9 } }, tfjs: 'momentum', torch: { cls: 'SGD', kwargs: { lr: 0.01, momentum: 0.9 } },
  },
  {
    key: 'adagrad', label: 'Adagrad', state: fusedStateArrays('adagrad'), floor: [[3, 2]], sqrtDivide: true,
    kernel: (a, i, t) => adagradFused(a, i, scalars.adagradScalars(adagradH, adagradOptions, t)),
    js: { module: 'adagrad', name: 'Adagrad', options: { lr: 0.01 } }, tfjs: 'adagrad', torch: { cls: 'Adagrad', kwargs: { lr: 0.01 } },
  },
  {
    key: 'rmsprop', label: 'RMSprop', state: fusedStateArrays('rmsprop'), floor: [[3, 2]], sqrtDivide: true,
    kernel: (a, i) => rmspropFused(a, i, scalars.rmspropScalars(rmspropH, rmspropOptions(false, 0)), false),
    js: { module: 'rmsprop', name: 'RMSprop', options: { lr: 0.01 } }, tfjs: 'rmsprop', torch: { cls: 'RMSprop', kwargs: { lr: 0.01 } },
  },
  {
    key: 'rmsprop-cm', label: 'RMSprop centered + momentum', state: fusedStateArrays('rmsprop', { centered: true, momentum: 0.9 }), floor: [[5, 4]], sqrtDivide: true,
    kernel: (a, i) => rmspropFused(a, i, scalars.rmspropScalars(rmspropH, rmspropOptions(true, 0.9)), true),
    js: { module: 'rmsprop', name: 'RMSprop', options: { lr: 0.01, centered: true, momentum: 0.9 } }, torch: { cls: 'RMSprop', kwargs: { lr: 0.01, centered: true, momentum: 0.9 } },
  },
  {
    key: 'adam', label: 'Adam', state: fusedStateArrays('adam'), floor: [[4, 3]], sqrtDivide: true,
    kernel: (a, i, t) => adamFused(a, i, scalars.adamScalars(adamH, { lr: 1e-3, betas, eps: 1e-8, weightDecay: 0 }, false, t), false),
    js: { module: 'adam', name: 'Adam', options: { lr: 1e-3 } }, tfjs: 'adam', torch: { cls: 'Adam', kwargs: { lr: 1e-3 } },
  },
  {
    key: 'amsgrad', label: 'Adam amsgrad', state: fusedStateArrays('adam', { amsgrad: true }), floor: [[5, 4]], sqrtDivide: true,
    kernel: (a, i, t) => adamFused(a, i, scalars.adamScalars(adamH, { lr: 1e-3, betas, eps: 1e-8, weightDecay: 0 }, false, t), true),
    js: { module: 'adam', name: 'Adam', options: { lr: 1e-3, amsgrad: true } }, torch: { cls: 'Adam', kwargs: { lr: 1e-3, amsgrad: true } },
  },
  {
    key: 'adamw', label: 'AdamW', state: fusedStateArrays('adamw'), floor: [[4, 3]], sqrtDivide: true,
    kernel: (a, i, t) => adamFused(a, i, scalars.adamScalars(adamH, { lr: 1e-3, betas, eps: 1e-8, weightDecay: 1e-2 }, true, t), false),
    js: { module: 'adamw', name: 'AdamW', options: { lr: 1e-3 } }, torch: { cls: 'AdamW', kwargs: { lr: 1e-3 } },
  },
  {
    key: 'adadelta', label: 'Adadelta', state: fusedStateArrays('adadelta'), floor: [[4, 3]], sqrtDivide: true,
    kernel: (a, i) => adadeltaFused(a, i, scalars.adadeltaScalars(adadeltaH, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 })),
    js: { module: 'adadelta', name: 'Adadelta', options: {} }, tfjs: 'adadelta', torch: { cls: 'Adadelta', kwargs: {} },
  },
  {
    key: 'adamax', label: 'Adamax', state: fusedStateArrays('adamax'), floor: [[4, 3]],
    kernel: (a, i, t) => adamaxFused(a, i, scalars.adamaxScalars(adamaxH, { lr: 2e-3, betas, eps: 1e-8, weightDecay: 0 }, t)),
    js: { module: 'adamax', name: 'Adamax', options: {} }, tfjs: 'adamax', torch: { cls: 'Adamax', kwargs: {} },
  },
  {
    key: 'nadam', label: 'NAdam', state: fusedStateArrays('nadam'), floor: [[4, 3]], sqrtDivide: true,
    kernel: (() => {
      // NAdam's μ product lives with the state; a run starts over at t = 1.
      let muProduct = 1;
      return (a: ParamArena, i: readonly number[], t: number) => {
        if (t === 1) muProduct = 1;
        muProduct = scalars.nadamScalars(nadamH, { lr: 2e-3, betas, eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 }, t, muProduct);
        nadamFused(a, i, nadamH);
      };
    })(),
    js: { module: 'nadam', name: 'NAdam', options: {} }, torch: { cls: 'NAdam', kwargs: {} },
  },
  {
    key: 'radam', label: 'RAdam', state: fusedStateArrays('radam'), floor: [[4, 3]], sqrtDivide: true,
    // Step 10 on: past ρₜ > 5, so the timed steps take the rectified (dearer) branch, as the class's do after warm-up.
    kernel: (a, i, t) => radamFused(a, i, scalars.radamScalars(radamH, { lr: 1e-3, betas, eps: 1e-8, weightDecay: 0 }, t + 10)),
    js: { module: 'radam', name: 'RAdam', options: {} }, torch: { cls: 'RAdam', kwargs: {} },
  },
  {
    key: 'lamb', label: 'LAMB (global clip + trust ratio)', state: fusedStateArrays('lamb'), floor: [[1, 0], [4, 3], [2, 1]], perParam: true,
    kernel: (a, i, t) => {
      const clip = scalars.lambGradScale(Math.sqrt(fused.gradSumOfSquares(a, i)), 1);
      lambFused(a, i, scalars.lambScalars(adamH, { betas, eps: 1e-6 }, t, clip), { lr: 1e-3, weightDecay: 0, trustClip: false });
    },
    js: { module: 'lamb', name: 'LAMB', options: {} },
  },
  {
    key: 'lars', label: 'LARS momentum 0.9', state: fusedStateArrays('lars', { momentum: 0.9 }), floor: [[2, 0], [3, 2]], perParam: true,
    kernel: (a, i, t) => void momentumSgdFused(a, i, { ...sgdOptions(0.9), lr: 0.1, trustCoefficient: 0.001, eps: 1e-8, trustClip: false }, t === 1, larsTrustRatio),
    js: { module: 'lars', name: 'LARS', options: { lr: 0.1, momentum: 0.9 } },
  },
  {
    key: 'adagrad-sparse', label: 'Adagrad, row-sparse grad', sparse: true, state: fusedStateArrays('adagrad'), floor: [],
    kernelRows: (a, staged, t) => adagradFusedRows(a, 0, staged, scalars.adagradScalars(adagradH, adagradOptions, t)),
    js: { module: 'adagrad', name: 'Adagrad', options: { lr: 0.01 } }, torch: { cls: 'Adagrad', kwargs: { lr: 0.01 } },
  },
  {
    key: 'sparseadam', label: 'SparseAdam, row-sparse grad', sparse: true, state: fusedStateArrays('sparseadam'), floor: [],
    kernelRows: (a, staged, t) => sparseAdamFusedRows(a, 0, staged, scalars.sparseAdamScalars(sparseAdamH, { lr: 1e-3, betas, eps: 1e-8 }, t)),
    js: { module: 'sparse_adam', name: 'SparseAdam', options: { lr: 1e-3 } }, torch: { cls: 'SparseAdam', kwargs: { lr: 1e-3 } },
  },
];

export interface DescentResult {
  optimizer: string;
  workload: string;
  /** ns per parameter (per touched value for sparse workloads): the class's `step()` on the 'wasm' backend. */
  wasm: number;
  /** Sparse only: the fused kernel alone, after the gradient was coalesced and staged. */
  wasmKernel?: number;
  /** Dense only: the bare fused call (the class's step less its JavaScript bookkeeping). */
  fusedKernel?: number;
  floor: number;
  /** Gradients assigned with `p.grad = t`: the class's step on gradients from backward, timed beside `wasm` in its process. */
  backwardBaseline?: number;
  /** Gradients assigned with `p.grad = t`: copying them into an arena's gradient slots, nothing else, timed beside `wasm`. */
  copies?: number;
  /** `Spec.sqrtDivide`, one thread: a square root and a division per vector over the same arena, timed beside `wasm`. */
  sqrtDivideFloor?: number;
  /** The class's `step()` on the 'js' backend. */
  js: number | null;
  jsNote?: string;
  wasmStateBytes: number;
  jsStateBytes: number | null;
}

export interface Timing {
  /** At least this many timed runs… */
  reps: number;
  /** …after at least this many warm-up runs… */
  warmup: number;
  /** …each phase lasting at least this long: a small step needs hundreds of calls before V8
   * has moved its WebAssembly from the baseline compiler to the optimizing one. */
  minMs: number;
}

/** Best time of one call, in milliseconds. */
export function bestOf(fn: (rep: number) => void, { reps, warmup, minMs }: Timing): number {
  let call = 0;
  const warmStart = performance.now();
  for (let r = 0; r < warmup || (performance.now() - warmStart < minMs && r < 5000); r++) fn(++call);
  let best = Infinity;
  const start = performance.now();
  for (let r = 0; r < reps || (performance.now() - start < minMs && r < 5000); r++) {
    const t = performance.now();
    fn(++call);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/**
 * Best times of several calls, taken in alternating blocks so that all see the same machine.
 * The first call of a block follows the other calls' sweeps through the caches, so it is not
 * counted: a workload that fits the last-level cache would otherwise be timed cold.
 */
export function bestOfEachInterleaved(fns: ReadonlyArray<(rep: number) => void>, { reps, warmup, minMs }: Timing, block = 3): number[] {
  let call = 0;
  const warmStart = performance.now();
  for (let r = 0; r < warmup || (performance.now() - warmStart < minMs && r < 5000); r++) {
    ++call;
    for (const fn of fns) fn(call);
  }
  const best = fns.map(() => Infinity);
  const start = performance.now();
  for (let r = 0; r < reps || (performance.now() - start < minMs && r < 5000); r++) {
    ++call;
    fns.forEach((fn, which) => {
      for (let k = 0; k < block; k++) {
        const t = performance.now();
        fn(call);
        const ms = performance.now() - t;
        if (k > 0) best[which] = Math.min(best[which]!, ms);
      }
    });
  }
  return best;
}

/** `bestOfEachInterleaved` of two calls. */
export function bestOfInterleaved(a: (rep: number) => void, b: (rep: number) => void, timing: Timing, block = 3): [number, number] {
  const [ta, tb] = bestOfEachInterleaved([a, b], timing, block);
  return [ta!, tb!];
}

function randomFill(x: Float32Array, rng: Generator, scale: number): void {
  for (let i = 0; i < x.length; i++) x[i] = scale * rng.normal();
}

/** Distinct sorted rows of a sparse workload, and their gradient. */
function sparseGradient(w: Workload, rng: Generator): SparseRows {
  const width = w.width!;
  const rowsTotal = w.size / width;
  const picked = rng.permutation(rowsTotal).slice(0, w.rows!).sort((a, b) => a - b);
  const values = new Float32Array(picked.length * width);
  randomFill(values, rng, 0.1);
  return new SparseRows(picked, new Tensor(values, [picked.length, width]), [rowsTotal, width]);
}

function makeParams(w: Workload): Tensor[] {
  if (w.width !== undefined) return [new Tensor(new Float32Array(w.size).fill(1), [w.size / w.width, w.width], { requiresGrad: true })];
  return Array.from({ length: w.count }, () => new Tensor(new Float32Array(w.size).fill(1), [w.size], { requiresGrad: true }));
}

function floorOffsets(arena: ParamArena): [number, number, number, number] {
  const offs = arena.stateNames.map((n) => arena.stateOffset(n));
  // Arrays past the optimizer's own (a floor pass never needs more than it has) default to the gradient.
  return [arena.gradOffset, offs[0] ?? arena.gradOffset, offs[1] ?? arena.gradOffset, offs[2] ?? arena.gradOffset];
}

/**
 * One call of the floor over `arena`: the spec's stream passes over every parameter. The
 * segment table is written (or found unchanged) per call, as the fused step does, since a
 * fused kernel timed alongside may have left another table there.
 */
function floorStep(spec: Spec, arena: ParamArena, paramCount: number): () => void {
  const [o1, o2, o3, o4] = floorOffsets(arena);
  // Frozen, as a fused plan's runs are: the arena knows its table by identity, so the floor times the stream alone.
  const all = Object.freeze(Array.from({ length: paramCount }, (_, i) => i));
  // A writing pass is element-wise: on several threads it is cut exactly as the optimizer's kernel (src/wasm/parallel.ts).
  const split = splitKernel(arena.kernels, 'stream');
  return () => {
    const segments = arena.writeSegments(all, spec.perParam === true);
    for (const [reads, writes] of spec.floor) {
      if (writes > 0 && split !== null) split(arena.tableAddress, segments, reads, writes, o1, o2, o3, o4, 0);
      else if (!arena.kernels.stream(arena.tableAddress, segments, reads, writes, o1, o2, o3, o4, 0)) throw new Error(`floor: no stream kernel for ${reads} reads, ${writes} writes`);
    }
  };
}

/** One call of `sqrtDivide` over every parameter of `arena` (a square root and a division per vector, values unchanged). */
function sqrtDivideStep(arena: ParamArena, paramCount: number): () => void {
  const all = Object.freeze(Array.from({ length: paramCount }, (_, i) => i));
  return () => arena.kernels.sqrtDivide(arena.tableAddress, arena.writeSegments(all, false), arena.gradOffset, 0);
}

/** A pause that lets the workers take a memory they have not seen yet (they learn of it in their event loop). */
const turn = (): Promise<void> => new Promise((done) => setTimeout(done, 50));

type OptimizerClass = new (params: Tensor[], options: Record<string, unknown>) => { step(): unknown; zeroGrad(): void; state: Map<Tensor, Record<string, unknown>> };

async function loadClass(spec: Spec): Promise<OptimizerClass | string> {
  try {
    const mod = (await import(`../src/optim/${spec.js.module}.js`)) as Record<string, unknown>;
    const ctor = mod[spec.js.name];
    return typeof ctor === 'function' ? (ctor as OptimizerClass) : `src/optim/${spec.js.module}.ts has no ${spec.js.name}`;
  } catch {
    return `no src/optim/${spec.js.module}.ts yet`;
  }
}

function stateBytesOf(state: Map<Tensor, Record<string, unknown>>, params: number): number {
  let bytes = 0;
  for (const s of state.values()) {
    for (const v of Object.values(s)) if (v instanceof Tensor && v.data.length > 1) bytes += v.data.byteLength;
  }
  return bytes / params;
}

/** The gradients of a workload, the same in every process (seeded). */
function workloadGradients(w: Workload): Float32Array[] | SparseRows {
  const rng = new Generator(7);
  if (w.width !== undefined) return sparseGradient(w, rng);
  return makeParams(w).map((p) => {
    const g = new Float32Array(p.data.length);
    randomFill(g, rng, 0.1);
    return g;
  });
}

/** What a child process measures: the class's step and, on the fused path, its floor beside it. */
interface ClassTiming {
  ms: number;
  /** Dense workloads on the 'wasm' backend: the floor, timed in alternation with the step. */
  floorMs?: number;
  /**
   * Gradients assigned with `p.grad = t` on the fused path: the same class's step on gradients
   * backward left in place, over params of its own, timed in alternation with this step.
   */
  baselineMs?: number;
  /** Gradients assigned with `p.grad = t` on the fused path: the copies into a gradient slot per param alone. */
  copiesMs?: number;
  /** `Spec.sqrtDivide` on one thread: the step's square roots and divisions alone. */
  sqrtDivideMs?: number;
  stateBytes: number;
}

/**
 * The class's `step()` under `backend`, in milliseconds. Dense gradients are installed as
 * backward leaves them (`zeroGrad` then `accumulateGrad`), after a first step has built the
 * group's arena on the fused path, so they land in its gradient slots. On that path the floor
 * runs over an arena of the same layout in this process, interleaved with the steps.
 */
async function measureClass(spec: Spec, w: Workload, backend: KernelBackend, timing: Timing): Promise<ClassTiming | string> {
  const ctor = await loadClass(spec);
  if (typeof ctor === 'string') return ctor;
  const grads = workloadGradients(w);
  const threads = w.threads ?? 1;
  await workersServing(threads);
  const params = makeParams(w);
  const optimizer = new ctor(params, spec.js.options);
  const floorArena = backend === 'wasm' && !(grads instanceof SparseRows) ? new ParamArena(makeParams(w), { state: spec.state }) : null;
  const install = (): void => {
    if (grads instanceof SparseRows) {
      for (const p of params) p.grad = grads;
      return;
    }
    optimizer.zeroGrad();
    params.forEach((p, i) => p.accumulateGrad(new Tensor(grads[i]!, p.shape)));
  };
  withKernelBackend(backend, () => withThreads(threads, () => {
    install();
    optimizer.step();
    if (floorArena !== null) floorStep(spec, floorArena, params.length)();
  }));
  // The workers take the arenas' memory in their event loop, before the timing starts.
  if (threads > 1) await turn();
  return withKernelBackend(backend, () => withThreads(threads, () => {
    install();
    const stateBytes = stateBytesOf(optimizer.state, params.reduce((n, p) => n + p.data.length, 0));
    const assigned = w.assignGrads === true && !(grads instanceof SparseRows);
    const step = assigned ? assignAndStep(optimizer, params, grads) : (): void => void optimizer.step();
    if (floorArena === null || grads instanceof SparseRows) return { ms: bestOf(step, timing), stateBytes };
    grads.forEach((g, i) => floorArena.gradView(i).set(g));
    const floor = floorStep(spec, floorArena, params.length);
    const extras: Record<string, () => void> = {};
    if (assigned) {
      extras.baselineMs = stepOnBackwardGradients(ctor, spec, w, grads);
      extras.copiesMs = (): void => grads.forEach((g, i) => floorArena.gradView(i).set(g));
    }
    if (spec.sqrtDivide === true && threads === 1) extras.sqrtDivideMs = sqrtDivideStep(floorArena, params.length);
    const [ms, floorMs, ...times] = bestOfEachInterleaved([step, floor, ...Object.values(extras)], timing);
    return { ms: ms!, floorMs, stateBytes, ...Object.fromEntries(Object.keys(extras).map((name, k) => [name, times[k]!])) };
  }));
}

/**
 * One step with gradients assigned by `p.grad = t`, as interop and adapters do. Backward's
 * gradients are not built inside the baseline's timed step, so these are not either: two sets of
 * gradient tensors are made here, and each step assigns the set the previous step did not (a new
 * tensor object per param, as a caller's fresh gradients are) then steps. Timed: assignment and step.
 */
function assignAndStep(optimizer: { step(): unknown }, params: readonly Tensor[], grads: readonly Float32Array[]): () => void {
  const sets = [grads, grads.map((g) => Float32Array.from(g))].map((set) => params.map((p, i) => new Tensor(set[i]!, p.shape)));
  let which = 0;
  return () => {
    which ^= 1;
    const set = sets[which]!;
    for (let i = 0; i < params.length; i++) params[i]!.grad = set[i]!;
    optimizer.step();
  };
}

/** A step of a second optimizer of the class, over params of its own, on gradients backward left in its arena's slots. */
function stepOnBackwardGradients(ctor: OptimizerClass, spec: Spec, w: Workload, grads: readonly Float32Array[]): () => void {
  const params = makeParams(w);
  const optimizer = new ctor(params, spec.js.options);
  for (let k = 0; k < 2; k++) {
    // The first step builds the arena; the gradients of the second land in its slots.
    optimizer.zeroGrad();
    params.forEach((p, i) => p.accumulateGrad(new Tensor(grads[i]!, p.shape)));
    optimizer.step();
  }
  return () => void optimizer.step();
}

const CHILD_JOB = 'DESCENT_BENCH_CLASS_JOB';

/** `measureClass` in a fresh Node process (see the header), through tsx as bench/run.mjs runs this file. */
function measureClassInChild(spec: Spec, w: Workload, backend: KernelBackend, timing: Timing): ClassTiming | string {
  const job = JSON.stringify({ key: spec.key, w, backend, timing });
  const file = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: dirname(dirname(file)), encoding: 'utf8', env: { ...process.env, [CHILD_JOB]: job }, maxBuffer: 1 << 24 });
  if (r.status !== 0) return `child process failed: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ClassTiming | string;
}

const childJob = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[CHILD_JOB];
if (childJob !== undefined) {
  const { key, w, backend, timing } = JSON.parse(childJob) as { key: string; w: Workload; backend: KernelBackend; timing: Timing };
  process.stdout.write(JSON.stringify(await measureClass(SPECS.find((s) => s.key === key)!, w, backend, timing)) + '\n');
}

export async function measureDescent(spec: Spec, w: Workload, timing: Timing): Promise<DescentResult> {
  const params = makeParams(w);
  const total = params.reduce((n, p) => n + p.data.length, 0);
  const arena = new ParamArena(params, { state: spec.state });
  const all = Object.freeze(params.map((_, i) => i));
  const grads = workloadGradients(w);
  let touched = total;
  let kernelMs: number | undefined;
  let fusedMs: number | undefined;
  let floorMs: number;

  if (grads instanceof SparseRows) {
    touched = grads.indices.length * grads.rowSize;
    const staged = arena.stageRows(0, grads);
    const offs = spec.state.map((n) => arena.stateOffset(n));
    [kernelMs, floorMs] = bestOfInterleaved(
      (t) => spec.kernelRows!(arena, staged, t),
      () => arena.kernels.streamRows(arena.address(0), staged.valuesAddress, staged.indicesAddress, staged.rows, staged.width, spec.state.length, offs[0] ?? 0, offs[1] ?? 0, 0),
      timing,
    );
  } else {
    params.forEach((_, i) => arena.gradView(i).set(grads[i]!));
    const threads = w.threads ?? 1;
    await workersServing(threads);
    if (threads > 1) {
      withThreads(threads, () => spec.kernel!(arena, all, 1));
      await turn();
    }
    [fusedMs, floorMs] = withThreads(threads, () => bestOfInterleaved((t) => spec.kernel!(arena, all, t), floorStep(spec, arena, params.length), timing));
  }

  const perValue = (ms: number): number => (ms * 1e6) / touched;
  const wasm = measureClassInChild(spec, w, 'wasm', timing);
  const js = measureClassInChild(spec, w, 'js', timing);
  // A dense class step is set against the floor timed beside it in its own process.
  if (typeof wasm !== 'string' && wasm.floorMs !== undefined) floorMs = wasm.floorMs;
  const note = [wasm, js].find((r): r is string => typeof r === 'string');
  return {
    optimizer: spec.key,
    workload: w.label,
    wasm: typeof wasm === 'string' ? NaN : perValue(wasm.ms),
    wasmKernel: kernelMs === undefined ? undefined : perValue(kernelMs),
    fusedKernel: fusedMs === undefined ? undefined : perValue(fusedMs),
    floor: perValue(floorMs),
    backwardBaseline: typeof wasm === 'string' || wasm.baselineMs === undefined ? undefined : perValue(wasm.baselineMs),
    copies: typeof wasm === 'string' || wasm.copiesMs === undefined ? undefined : perValue(wasm.copiesMs),
    sqrtDivideFloor: typeof wasm === 'string' || wasm.sqrtDivideMs === undefined ? undefined : perValue(wasm.sqrtDivideMs),
    js: typeof js === 'string' ? null : perValue(js.ms),
    jsNote: note,
    wasmStateBytes: 4 * spec.state.length,
    jsStateBytes: typeof js === 'string' ? null : js.stateBytes,
  };
}

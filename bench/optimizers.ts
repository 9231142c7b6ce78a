/**
 * descent's side of the optimizer benchmark, measured in this process: the fused WebAssembly
 * step, the memory-bandwidth floor over the very same arena, and the plain JavaScript step of
 * the optimizer classes.
 *
 * One `Spec` per optimizer configuration names its arena state, the passes its floor streams
 * (arrays read, arrays written), the fused call, and the class + options of the JS path and of
 * the peers. A step is timed as an integrated optimizer would run it: find the params that have
 * a gradient (`stageGrad`), then one kernel call per group.
 */
import { Tensor } from '../src/tensor/tensor.js';
import { SparseRows } from '../src/tensor/sparse.js';
import { Generator } from '../src/tensor/random.js';
import { ParamArena, type StagedRows } from '../src/optim/wasm/arena.js';
import * as fused from '../src/optim/wasm/fused.js';

export interface Workload {
  label: string;
  /** Tensors of `size` values each; a sparse workload has one tensor of `size / width` rows. */
  count: number;
  size: number;
  width?: number;
  /** Sparse: distinct rows the gradient touches. */
  rows?: number;
}

type Pass = [reads: number, writes: number];

export interface Spec {
  key: string;
  label: string;
  sparse?: boolean;
  /** Arena state arrays, in region order. */
  state: string[];
  initial?: Record<string, number>;
  /** The floor's passes; a sparse floor is one `streamRows` pass over `state.length` state rows. */
  floor: Pass[];
  /** LAMB and LARS need per-param segments (their trust ratios are per param). */
  perParam?: boolean;
  wasm(arena: ParamArena, indices: readonly number[], step: number): void;
  wasmRows?(arena: ParamArena, staged: StagedRows, step: number): void;
  /** The class (module path under src/optim, export name) and its options. */
  js?: { module: string; name: string; options: Record<string, unknown> };
  tfjs?: string;
  torch?: { cls: string; kwargs: Record<string, unknown> };
}

const adamH = (over: Partial<fused.AdamHyper> = {}): fused.AdamHyper => ({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false, ...over });
const sgdH = (over: Partial<fused.SgdHyper> = {}): fused.SgdHyper => ({ lr: 0.01, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...over });
const rmsH = (over: Partial<fused.RmspropHyper> = {}): fused.RmspropHyper => ({ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...over });
const adagradH: fused.AdagradHyper = { lr: 0.01, lrDecay: 0, weightDecay: 0, eps: 1e-10, maximize: false };

export const SPECS: Spec[] = [
  {
    key: 'sgd', label: 'SGD', state: [], floor: [[2, 1]],
    wasm: (a, i, t) => fused.sgdStep(a, i, sgdH(), t === 1),
    js: { module: 'sgd', name: 'SGD', options: { lr: 0.01 } }, tfjs: 'sgd', torch: { cls: 'SGD', kwargs: { lr: 0.01 } },
  },
  {
    key: 'momentum', label: 'SGD momentum 0.9', state: ['momentum_buffer'], floor: [[3, 2]],
    wasm: (a, i, t) => fused.sgdStep(a, i, sgdH({ momentum: 0.9 }), t === 1),
    js: { module: 'sgd', name: 'SGD', options: { lr: 0.01, momentum: 0.9 } }, tfjs: 'momentum', torch: { cls: 'SGD', kwargs: { lr: 0.01, momentum: 0.9 } },
  },
  {
    key: 'adagrad', label: 'Adagrad', state: ['sum'], floor: [[3, 2]],
    wasm: (a, i, t) => fused.adagradStep(a, i, adagradH, t),
    js: { module: 'adagrad', name: 'Adagrad', options: { lr: 0.01 } }, tfjs: 'adagrad', torch: { cls: 'Adagrad', kwargs: { lr: 0.01 } },
  },
  {
    key: 'rmsprop', label: 'RMSprop', state: ['square_avg'], floor: [[3, 2]],
    wasm: (a, i) => fused.rmspropStep(a, i, rmsH()),
    js: { module: 'rmsprop', name: 'RMSprop', options: { lr: 0.01 } }, tfjs: 'rmsprop', torch: { cls: 'RMSprop', kwargs: { lr: 0.01 } },
  },
  {
    key: 'rmsprop-cm', label: 'RMSprop centered + momentum', state: ['square_avg', 'grad_avg', 'momentum_buffer'], floor: [[5, 4]],
    wasm: (a, i) => fused.rmspropStep(a, i, rmsH({ centered: true, momentum: 0.9 })),
    js: { module: 'rmsprop', name: 'RMSprop', options: { lr: 0.01, centered: true, momentum: 0.9 } }, torch: { cls: 'RMSprop', kwargs: { lr: 0.01, centered: true, momentum: 0.9 } },
  },
  {
    key: 'adam', label: 'Adam', state: ['exp_avg', 'exp_avg_sq'], floor: [[4, 3]],
    wasm: (a, i, t) => fused.adamStep(a, i, adamH(), t),
    js: { module: 'adam', name: 'Adam', options: { lr: 1e-3 } }, tfjs: 'adam', torch: { cls: 'Adam', kwargs: { lr: 1e-3 } },
  },
  {
    key: 'amsgrad', label: 'Adam amsgrad', state: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'], floor: [[5, 4]],
    wasm: (a, i, t) => fused.adamStep(a, i, adamH({ amsgrad: true }), t),
    js: { module: 'adam', name: 'Adam', options: { lr: 1e-3, amsgrad: true } }, torch: { cls: 'Adam', kwargs: { lr: 1e-3, amsgrad: true } },
  },
  {
    key: 'adamw', label: 'AdamW', state: ['exp_avg', 'exp_avg_sq'], floor: [[4, 3]],
    wasm: (a, i, t) => fused.adamStep(a, i, adamH({ weightDecay: 1e-2, decoupledWeightDecay: true }), t),
    js: { module: 'adamw', name: 'AdamW', options: { lr: 1e-3 } }, torch: { cls: 'AdamW', kwargs: { lr: 1e-3 } },
  },
  {
    key: 'adadelta', label: 'Adadelta', state: ['square_avg', 'acc_delta'], floor: [[4, 3]],
    wasm: (a, i) => fused.adadeltaStep(a, i, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }),
    js: { module: 'adadelta', name: 'Adadelta', options: {} }, tfjs: 'adadelta', torch: { cls: 'Adadelta', kwargs: {} },
  },
  {
    key: 'adamax', label: 'Adamax', state: ['exp_avg', 'exp_inf'], floor: [[4, 3]],
    wasm: (a, i, t) => fused.adamaxStep(a, i, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, t),
    js: { module: 'adamax', name: 'Adamax', options: {} }, tfjs: 'adamax', torch: { cls: 'Adamax', kwargs: {} },
  },
  {
    key: 'nadam', label: 'NAdam', state: ['exp_avg', 'exp_avg_sq'], floor: [[4, 3]],
    wasm: (() => {
      // NAdam's μ product lives with the state; a run starts over at t = 1.
      let muProduct = 1;
      return (a: ParamArena, i: readonly number[], t: number) => {
        if (t === 1) muProduct = 1;
        muProduct = fused.nadamStep(a, i, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false }, t, muProduct);
      };
    })(),
    js: { module: 'nadam', name: 'NAdam', options: {} }, torch: { cls: 'NAdam', kwargs: {} },
  },
  {
    key: 'radam', label: 'RAdam', state: ['exp_avg', 'exp_avg_sq'], floor: [[4, 3]],
    // Step 10 on: past ρₜ > 5, so the timed steps take the rectified (dearer) branch.
    wasm: (a, i, t) => fused.radamStep(a, i, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, t + 10),
    js: { module: 'radam', name: 'RAdam', options: {} }, torch: { cls: 'RAdam', kwargs: {} },
  },
  {
    key: 'lamb', label: 'LAMB (global clip + trust ratio)', state: ['exp_avg', 'exp_avg_sq'], floor: [[1, 0], [4, 3], [2, 1]], perParam: true,
    wasm: (a, i, t) => {
      const total = fused.sumOfSquares(a, i, 'grad').reduce((x, y) => x + y, 0);
      fused.lambStep(a, i, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0, trustClip: false }, t, 1 / Math.max(Math.sqrt(total), 1));
    },
    js: { module: 'lamb', name: 'LAMB', options: {} },
  },
  {
    key: 'lars', label: 'LARS momentum 0.9', state: ['momentum_buffer'], floor: [[2, 0], [3, 2]], perParam: true,
    wasm: (a, i, t) => void fused.larsStep(a, i, { ...sgdH({ lr: 0.1, momentum: 0.9 }), trustCoefficient: 0.001, eps: 1e-8, trustClip: false }, t === 1),
    js: { module: 'lars', name: 'LARS', options: { lr: 0.1, momentum: 0.9 } },
  },
  {
    key: 'adagrad-sparse', label: 'Adagrad, row-sparse grad', sparse: true, state: ['sum'], floor: [],
    wasm: () => undefined,
    wasmRows: (a, staged, t) => fused.adagradRowsStep(a, 0, staged, adagradH, t),
    js: { module: 'adagrad', name: 'Adagrad', options: { lr: 0.01 } }, torch: { cls: 'Adagrad', kwargs: { lr: 0.01 } },
  },
  {
    key: 'sparseadam', label: 'SparseAdam, row-sparse grad', sparse: true, state: ['exp_avg', 'exp_avg_sq'], floor: [],
    wasm: () => undefined,
    wasmRows: (a, staged, t) => fused.sparseAdamRowsStep(a, 0, staged, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, maximize: false }, t),
    js: { module: 'sparse_adam', name: 'SparseAdam', options: { lr: 1e-3 } }, torch: { cls: 'SparseAdam', kwargs: { lr: 1e-3 } },
  },
];

export interface DescentResult {
  optimizer: string;
  workload: string;
  /** ns per parameter (per touched value for sparse workloads). */
  wasm: number;
  /** Sparse only: the fused kernel alone, after the gradient was coalesced and staged. */
  wasmKernel?: number;
  floor: number;
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
  if (w.width !== undefined) return [new Tensor(new Float32Array(w.size).fill(1), [w.size / w.width, w.width])];
  return Array.from({ length: w.count }, () => new Tensor(new Float32Array(w.size).fill(1), [w.size]));
}

function floorOffsets(arena: ParamArena): [number, number, number, number] {
  const offs = arena.stateNames.map((n) => arena.stateOffset(n));
  // Arrays past the optimizer's own (a floor pass never needs more than it has) default to the gradient.
  return [arena.gradOffset, offs[0] ?? arena.gradOffset, offs[1] ?? arena.gradOffset, offs[2] ?? arena.gradOffset];
}

async function loadClass(spec: Spec): Promise<{ ctor: new (params: Tensor[], options: Record<string, unknown>) => { step(): unknown; state: Map<Tensor, Record<string, unknown>> } } | { missing: string }> {
  try {
    const mod = (await import(`../src/optim/${spec.js!.module}.js`)) as Record<string, unknown>;
    const ctor = mod[spec.js!.name];
    if (typeof ctor !== 'function') return { missing: `src/optim/${spec.js!.module}.ts has no ${spec.js!.name}` };
    return { ctor: ctor as never };
  } catch {
    return { missing: `no src/optim/${spec.js!.module}.ts yet` };
  }
}

function stateBytesOf(state: Map<Tensor, Record<string, unknown>>, params: number): number {
  let bytes = 0;
  for (const s of state.values()) {
    for (const v of Object.values(s)) if (v instanceof Tensor && v.data.length > 1) bytes += v.data.byteLength;
  }
  return bytes / params;
}

export async function measureDescent(spec: Spec, w: Workload, timing: Timing): Promise<DescentResult> {
  const rng = new Generator(7);
  const params = makeParams(w);
  const total = params.reduce((n, p) => n + p.data.length, 0);
  const arena = new ParamArena(params, { state: spec.state, initial: spec.initial });
  const all = params.map((_, i) => i);
  let wasmMs: number;
  let kernelMs: number | undefined;
  let floorMs: number;
  let touched = total;

  if (spec.sparse) {
    const grad = sparseGradient(w, rng);
    touched = grad.indices.length * grad.rowSize;
    params[0]!.grad = grad;
    wasmMs = bestOf((t) => {
      if (arena.stageGrad(0) === 'sparse') spec.wasmRows!(arena, arena.stageRows(0, params[0]!.grad as SparseRows), t);
    }, timing);
    const staged = arena.stageRows(0, grad);
    kernelMs = bestOf((t) => spec.wasmRows!(arena, staged, t), timing);
    const offs = spec.state.map((n) => arena.stateOffset(n));
    floorMs = bestOf(() => arena.kernels.streamRows(arena.address(0), staged.valuesAddress, staged.indicesAddress, staged.rows, staged.width, spec.state.length, offs[0] ?? 0, offs[1] ?? 0, 0), timing);
  } else {
    params.forEach((p, i) => {
      randomFill(arena.gradView(i), rng, 0.1);
      p.grad = new Tensor(arena.gradView(i), p.shape);
    });
    wasmMs = bestOf((t) => {
      spec.wasm(arena, arena.stageGrads().dense, t);
    }, timing);
    const [o1, o2, o3, o4] = floorOffsets(arena);
    // The floor streams only: its segment table is written once, outside the timing.
    const segments = arena.writeSegments(all, { separate: spec.perParam === true });
    floorMs = bestOf(() => {
      for (const [reads, writes] of spec.floor) {
        if (!arena.kernels.stream(arena.tableAddress, segments, reads, writes, o1, o2, o3, o4, 0)) throw new Error(`floor: no stream kernel for ${reads} reads, ${writes} writes`);
      }
    }, timing);
  }
  const wasmStateBytes = 4 * spec.state.length;

  // The plain JavaScript path: the optimizer class, on its own copies.
  let js: number | null = null;
  let jsNote: string | undefined;
  let jsStateBytes: number | null = null;
  if (spec.js !== undefined) {
    const loaded = await loadClass(spec);
    if ('missing' in loaded) jsNote = loaded.missing;
    else {
      const jsParams = makeParams(w);
      jsParams.forEach((p, i) => {
        if (spec.sparse) p.grad = params[0]!.grad;
        else p.grad = new Tensor(Float32Array.from(arena.gradView(i)), p.shape);
      });
      const opt = new loaded.ctor(jsParams, spec.js.options);
      js = bestOf(() => opt.step(), timing);
      jsStateBytes = stateBytesOf(opt.state, total);
    }
  }
  return {
    optimizer: spec.key,
    workload: w.label,
    wasm: (wasmMs * 1e6) / touched,
    wasmKernel: kernelMs === undefined ? undefined : (kernelMs * 1e6) / touched,
    floor: (floorMs * 1e6) / touched,
    js: js === null ? null : (js * 1e6) / touched,
    jsNote,
    wasmStateBytes,
    jsStateBytes,
  };
}

/**
 * L-BFGS: a quasi-Newton method that keeps the last m curvature pairs instead of a Hessian.
 *
 * ```text
 * input: x₀ (all params as one flat vector), f (the closure), lr, maxIter, maxEval,
 *        toleranceGrad, toleranceChange, historySize m, lineSearchFn, maximize
 * each step(closure):
 *   f, g ← closure()                                      (its loss is what step returns)
 *   if maximize: f ← −f, g ← −g, at every evaluation
 *   if ‖g‖∞ ≤ toleranceGrad: return
 *   repeat at most maxIter times:
 *     if this is the very first iteration: d ← −g, H₀ ← 1
 *     else:
 *       y ← g − g_prev,  s ← t·d
 *       if yᵀs > 10⁻¹⁰: keep (y, s, ρ = 1/yᵀs), forgetting the oldest beyond m;  H₀ ← yᵀs / yᵀy
 *       d ← −H·g                                          (two-loop recursion over the pairs)
 *     g_prev ← g
 *     t ← min(1, 1/‖g‖₁)·lr on the very first iteration, else lr
 *     if gᵀd > −toleranceChange: stop
 *     if lineSearchFn = 'strong_wolfe': t, f, g ← strong Wolfe search along d from t;  x ← x + t·d
 *     else: x ← x + t·d;  f, g ← closure() unless this is the last iteration
 *     stop if: maxIter iterations | maxEval evaluations | ‖g‖∞ ≤ toleranceGrad
 *              | ‖t·d‖∞ ≤ toleranceChange | |f − f_prev| < toleranceChange
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.LBFGS` (with 2.x's `maximize`), iteration for iteration: the same
 * stopping tests in the same order, the same first-step scaling, `maxEval` defaulting to
 * ⌊maxIter·5/4⌋, one param group only, and the strong Wolfe search of PyTorch's
 * `_strong_wolfe` (c₁ = 10⁻⁴, c₂ = 0.9, 25 trials and its own toleranceChange of 10⁻⁹, all
 * fixed: PyTorch does not pass the group's `tolerance_change` to it). The state (on the first
 * parameter, as PyTorch keeps it) has PyTorch's keys — `func_evals`, `n_iter`, `d`, `t`,
 * `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al` — and the state
 * dict PyTorch's layout (`al` padded with nulls to `history_size`). Differences: dot products
 * and norms accumulate in double precision (the flat vectors are stored in the parameters'
 * dtype); every parameter must share one dtype; options are checked up front (PyTorch only
 * rejects an unknown `line_search_fn` inside `step`). Like PyTorch, SciPy's L-BFGS-B and
 * minFunc, the Hessian estimate starts from the scaled identity (yᵀs / yᵀy)·I (Nocedal &
 * Wright, eq. 7.20).
 */
import { nestedDeeperThan, STATE_DICT_MAX_DEPTH } from '../util/nesting.js';
import { describeValue } from '../util/describe.js';
import { Tensor, allocate, type DType, type FloatArray } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { enableGrad } from '../autograd/engine.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamsInput } from './optimizer.js';
import type { OptimizerStateDict, ParamState, StateJSONValue, TensorJSON } from './state_dict.js';
import { defineOptimizer, invalid, lr, maximize, type StateLayout } from './spec.js';
import { createLbfgsWorkspace, lbfgsStep, type FlatProblem, type LbfgsState, type LbfgsWorkspace } from './kernels/lbfgs.js';

export type LineSearchFn = 'strong_wolfe' | null;

export interface LBFGSOptions {
  /** Step length along the L-BFGS direction (the line search's first trial). Default 1. */
  lr: number;
  /** Iterations per `step` call. Default 20. */
  maxIter: number;
  /** Closure evaluations per `step` call. Default ⌊maxIter · 5/4⌋. */
  maxEval: number;
  /** Stop when ‖g‖∞ ≤ this. Default 1e-7. */
  toleranceGrad: number;
  /** Stop when the loss or the step changes by less than this. Default 1e-9. */
  toleranceChange: number;
  /** Curvature pairs kept. Default 100. */
  historySize: number;
  /** `'strong_wolfe'` or null (fixed step lr). Default null. */
  lineSearchFn: LineSearchFn;
  /** Climb the objective: minimize −f (PyTorch 2.x). Default false. */
  maximize: boolean;
}

/** The most curvature pairs an LBFGS keeps (`historySize`): PyTorch sets no bound, but each pair costs two flat vectors of every parameter. */
export const LBFGS_MAX_HISTORY = 10_000;

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input: x₀ (all params as one flat vector), f (the closure), lr, maxIter, maxEval,
       toleranceGrad, toleranceChange, historySize m, lineSearchFn, maximize
each step(closure):
  f, g ← closure()                                      (its loss is what step returns)
  if maximize: f ← −f, g ← −g, at every evaluation
  if ‖g‖∞ ≤ toleranceGrad: return
  repeat at most maxIter times:
    if this is the very first iteration: d ← −g, H₀ ← 1
    else:
      y ← g − g_prev,  s ← t·d
      if yᵀs > 10⁻¹⁰: keep (y, s, ρ = 1/yᵀs), forgetting the oldest beyond m;  H₀ ← yᵀs / yᵀy
      d ← −H·g                                          (two-loop recursion over the pairs)
    g_prev ← g
    t ← min(1, 1/‖g‖₁)·lr on the very first iteration, else lr
    if gᵀd > −toleranceChange: stop
    if lineSearchFn = 'strong_wolfe': t, f, g ← strong Wolfe search along d from t;  x ← x + t·d
    else: x ← x + t·d;  f, g ← closure() unless this is the last iteration
    stop if: maxIter iterations | maxEval evaluations | ‖g‖∞ ≤ toleranceGrad
             | ‖t·d‖∞ ≤ toleranceChange | |f − f_prev| < toleranceChange
`.trim();

export const lbfgsSpec = defineOptimizer<LBFGSOptions>({
  id: 'lbfgs',
  displayName: 'LBFGS',
  torchName: 'LBFGS',
  summary: 'Quasi-Newton steps from the last m curvature pairs; re-evaluates the loss through a closure.',
  algorithm: BOX,
  paper: { title: 'On the limited memory BFGS method for large scale optimization', authors: 'Liu, Nocedal', year: 1989, url: 'https://doi.org/10.1007/BF01589116' },
  options: [
    lr(1, 'Step length along the L-BFGS direction (the line search starts from it).'),
    { name: 'maxIter', type: 'number', default: 20, min: 1, integer: true, range: [1, 100], scale: 'linear', description: 'Iterations per step (an integer).' },
    { name: 'maxEval', type: 'number', default: 25, min: 1, integer: true, range: [1, 125], scale: 'linear', description: 'Closure evaluations per step (an integer; default ⌊maxIter·5/4⌋).' },
    { name: 'toleranceGrad', type: 'number', default: 1e-7, min: 0, range: [1e-12, 1e-3], scale: 'log', description: 'Stop when the largest gradient entry is this small.' },
    { name: 'toleranceChange', type: 'number', default: 1e-9, min: 0, range: [1e-12, 1e-3], scale: 'log', description: 'Stop when the loss or the step changes by less than this.' },
    // Bounded: each pair holds two vectors the size of all parameters together.
    { name: 'historySize', type: 'number', default: 100, min: 1, max: LBFGS_MAX_HISTORY, integer: true, label: `historySize value (an integer in [1, ${LBFGS_MAX_HISTORY}])`, range: [1, 100], scale: 'linear', description: 'Curvature pairs (s, y) kept (an integer).' },
    { name: 'lineSearchFn', type: 'choice', choices: [null, 'strong_wolfe'], default: null, description: "null: fixed step lr; 'strong_wolfe': a line search meeting the strong Wolfe conditions." },
    { ...maximize, addedIn: '2.x' },
  ],
  // The flat direction and previous gradient, plus 2 vectors per kept pair (float32).
  stateBytesPerParam: (o = {}) => 4 * (2 + 2 * (o.historySize ?? 100)),
  needsClosure: true,
  gradients: 'dense',
  stateKind: 'flat',
  testConfigs: {
    quadratic: { options: {}, steps: 5 },
    rosenbrock: { options: { lineSearchFn: 'strong_wolfe' }, steps: 20, below: 0.01 },
    invalid: [
      invalid.lr,
      { options: { maxIter: 0 }, error: /Invalid maxIter value \(a positive integer\): 0/ },
      { options: { historySize: 2.5 }, error: /Invalid historySize value \(an integer in \[1, 10000\]\): 2\.5/ },
      { options: { historySize: 1e9 }, error: /Invalid historySize value \(an integer in \[1, 10000\]\): 1000000000/ },
      invalid.maximize,
      { options: { toleranceGrad: -1 }, error: /Invalid toleranceGrad value: -1/ },
      { options: { lineSearchFn: 'wolfe' }, error: /Invalid lineSearchFn value .*: "wolfe"/ },
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<LBFGSOptions>, options?: Partial<LBFGSOptions>) => new LBFGS(params, options),
});

/** PyTorch's defaults; `maxEval` is ⌊maxIter·5/4⌋ (25 for the default 20) unless given. */
export const LBFGS_DEFAULTS: Readonly<LBFGSOptions> = lbfgsSpec.defaults;


const STATE_LAYOUT: StateLayout = {
  func_evals: { kind: 'count' },
  n_iter: { kind: 'count' },
  d: { kind: 'tensor', required: false },
  t: { kind: 'number', required: false },
  old_dirs: { kind: 'tensorList', required: false },
  old_stps: { kind: 'tensorList', required: false },
  ro: { kind: 'number0dList', required: false },
  H_diag: { kind: 'number0d', required: false },
  prev_flat_grad: { kind: 'tensor', required: false },
  prev_loss: { kind: 'number', required: false },
  al: { kind: 'number0dList', required: false },
};

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

export class LBFGS extends Optimizer<LBFGSOptions> {
  /** Flat scratch vectors, made on the first step and whenever the parameters' size or dtype changes. */
  private buffers: { work: LbfgsWorkspace; undo: UndoBuffers } | null = null;

  constructor(params: ParamsInput<LBFGSOptions>, options: Partial<LBFGSOptions> = {}) {
    const maxIter = options.maxIter ?? LBFGS_DEFAULTS.maxIter;
    const maxEval = options.maxEval ?? (isPositiveInteger(maxIter) ? Math.floor((maxIter * 5) / 4) : undefined);
    super(params, lbfgsSpec, { ...options, maxEval });
    // One dtype for the flat vector: a mixed list would need a cast on every gather.
    const dtypes = new Set(this.flatParams.map((p) => p.dtype));
    if (dtypes.size > 1) throw new TypeError(`LBFGS: every parameter must have the same dtype, got ${[...dtypes].join(' and ')}`);
  }

  protected stateLayout(): StateLayout {
    return STATE_LAYOUT;
  }

  protected update(): void {
    throw new TypeError('LBFGS: step() needs a closure that re-evaluates the model and returns the loss');
  }

  /** L-BFGS optimizes one flat vector with one set of options: a second group is refused. */
  override addParamGroup(input: ParamGroupInput<LBFGSOptions>): void {
    if (this.paramGroups.length > 0) throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
    super.addParamGroup(input);
  }

  private buffersFor(size: number, dtype: DType): { work: LbfgsWorkspace; undo: UndoBuffers } {
    const current = this.buffers;
    if (current !== null && current.work.gradient.length === size && flatDtype(current.work.gradient) === dtype) return current;
    const newFlat = (): FloatArray => allocate(size, dtype);
    this.buffers = { work: createLbfgsWorkspace(newFlat), undo: { params: newFlat(), direction: newFlat(), previousGradient: newFlat() } };
    return this.buffers;
  }

  private get group(): ParamGroup<LBFGSOptions> {
    return this.paramGroups[0]!;
  }

  private get flatParams(): Tensor[] {
    return this.group.params;
  }

  /**
   * Runs up to `maxIter` L-BFGS iterations, evaluating `closure` as often as they need, and
   * returns what the first evaluation returned.
   */
  override step<L extends Tensor | number | void = Tensor | number>(closure?: () => L): L | undefined {
    if (typeof closure !== 'function') {
      throw new TypeError('LBFGS: step() needs a closure that zeroes the gradients, computes the loss, calls backward() and returns the loss (LBFGS evaluates it several times per step)');
    }
    const params = this.flatParams;
    const size = params.reduce((n, p) => n + p.data.length, 0);
    const { work, undo } = this.buffersFor(size, params[0]!.dtype);
    let firstLoss: L | undefined;
    let evaluated = false;
    const problem = flatProblem(params, () => {
      const value = enableGrad(closure);
      if (!evaluated) {
        firstLoss = value;
        evaluated = true;
      }
      return value;
    }, this.group.maximize);

    const g = this.group;
    const state = readState(this.state.get(params[0]!), size, g.historySize);
    // A closure that throws mid-step must not leave the model at a trial point or the memory
    // half-updated: keep what the kernel overwrites in place, and put it back on the way out.
    problem.save(undo.params);
    const liveDirection = state.direction;
    const liveGradient = state.previousGradient;
    if (liveDirection !== null) undo.direction.set(liveDirection);
    if (liveGradient !== null) undo.previousGradient.set(liveGradient);
    const settings = {
      lr: g.lr,
      maxIter: g.maxIter,
      maxEval: g.maxEval,
      toleranceGrad: g.toleranceGrad,
      toleranceChange: g.toleranceChange,
      historySize: g.historySize,
      strongWolfe: g.lineSearchFn === 'strong_wolfe',
    };
    try {
      lbfgsStep(problem, state, settings, work);
    } catch (error) {
      problem.restore(undo.params);
      liveDirection?.set(undo.direction);
      liveGradient?.set(undo.previousGradient);
      throw error;
    }
    this.state.set(params[0]!, writeState(state, [size]));
    return firstLoss;
  }

  /**
   * Accepts this class's and PyTorch's LBFGS state dicts (whose `al` lists `history_size`
   * entries, null where never written; descent writes only the written ones); checks that the
   * state sits on the first parameter, that the flat vectors match the parameters' total size and
   * that the memory is consistent before anything changes.
   */
  override loadStateDict(stateDict: OptimizerStateDict): void {
    if (nestedDeeperThan(stateDict, STATE_DICT_MAX_DEPTH)) throw new Error(`LBFGS.loadStateDict: values are nested more than ${STATE_DICT_MAX_DEPTH} levels deep, which no state dict is`);
    const savedState = (stateDict as Partial<OptimizerStateDict> | null)?.state;
    if (savedState === null || typeof savedState !== 'object' || Array.isArray(savedState)) {
      super.loadStateDict(stateDict); // the base names what is wrong with it
      return;
    }
    const first = this.firstParamIndex(stateDict);
    for (const key of Object.keys(savedState)) {
      if (first !== null && key !== String(first)) {
        throw new Error(`LBFGS.loadStateDict: state '${key}' is not the first parameter's (index ${first}): LBFGS keeps its whole state on the first parameter, so a state dict whose params are listed in another order would lose its history`);
      }
    }
    const size = this.flatParams.reduce((n, p) => n + p.data.length, 0);
    const trimmed: OptimizerStateDict['state'] = {};
    for (const [key, entry] of Object.entries(savedState)) {
      trimmed[key] = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? checkedEntry(entry, `state['${key}']`, size) : entry;
    }
    super.loadStateDict({ ...stateDict, state: trimmed });
  }
  /** The index the state dict gives this optimizer's first parameter (by name when both sides have names), or null where it cannot tell (the base then says what is wrong). */
  private firstParamIndex(stateDict: OptimizerStateDict): number | null {
    const saved = stateDict.param_groups?.[0];
    if (saved === null || typeof saved !== 'object' || !Array.isArray(saved.params)) return null;
    const ourName = this.group.paramNames?.[0];
    const position = ourName !== undefined && Array.isArray(saved.param_names) ? saved.param_names.indexOf(ourName) : 0;
    const id = saved.params[position] as unknown;
    return typeof id === 'number' ? id : null;
  }

}

/**
 * A saved LBFGS state entry with `al`'s trailing nulls dropped, after checking what the base
 * cannot know: that the flat vectors have the parameters' total size and that the memory's
 * three lists have one entry per curvature pair.
 */
function checkedEntry(entry: Record<string, StateJSONValue>, where: string, size: number): Record<string, StateJSONValue> {
  const fail = (msg: string): never => {
    throw new Error(`LBFGS.loadStateDict: ${where}${msg}`);
  };
  const copy = { ...entry };
  const flatShapeOk = (t: unknown): boolean => {
    const shape = (t as { shape?: unknown } | null)?.shape;
    return !Array.isArray(shape) || (shape.length === 1 && shape[0] === size);
  };
  for (const name of ['d', 'prev_flat_grad']) {
    if (copy[name] != null && !flatShapeOk(copy[name])) fail(`.${name} must have shape [${size}] (all parameters as one flat vector), got ${describeValue((copy[name] as TensorJSON).shape)}`);
  }
  for (const name of ['old_dirs', 'old_stps']) {
    const list = copy[name];
    if (Array.isArray(list)) {
      list.forEach((t, i) => {
        if (!flatShapeOk(t)) fail(`.${name}[${i}] must have shape [${size}], got ${describeValue((t as TensorJSON).shape)}`);
      });
    }
  }
  const lengths = ['old_dirs', 'old_stps', 'ro'].map((name) => (Array.isArray(copy[name]) ? (copy[name] as unknown[]).length : -1));
  if (new Set(lengths).size !== 1) {
    fail(` must hold old_dirs, old_stps and ro together, one entry each per curvature pair (got ${lengths.map((n) => (n < 0 ? 'none' : n)).join(', ')})`);
  }
  if (Array.isArray(copy.al)) {
    const firstNull = copy.al.indexOf(null);
    const written = firstNull === -1 ? copy.al : copy.al.slice(0, firstNull);
    if (copy.al.slice(written.length).some((x) => x !== null)) fail('.al has a value after a null entry');
    copy.al = written;
  }
  return copy;
}

interface UndoBuffers {
  params: FloatArray;
  direction: FloatArray;
  previousGradient: FloatArray;
}

/** The parameters seen as one flat vector x, and the closure as f(x) and ∇f(x). */
/** The closure's problem over all parameters as one vector; with `maximize`, the problem of −f (PyTorch negates the loss and the flat gradient). */
function flatProblem(params: readonly Tensor[], evaluateClosure: () => unknown, maximize: boolean): FlatProblem {
  const size = params.reduce((n, p) => n + p.data.length, 0);
  const dtype = params[0]!.dtype;
  return {
    allocate: () => allocate(size, dtype),
    evaluate: (gradient) => {
      const loss = lossValue(evaluateClosure());
      gatherFlatGrad(params, gradient);
      if (!maximize) return loss;
      for (let i = 0; i < gradient.length; i++) gradient[i] = -gradient[i]!;
      return -loss;
    },
    move: (t, direction) => {
      let offset = 0;
      for (const p of params) {
        const data = p.data;
        for (let i = 0; i < data.length; i++) data[i]! += t * direction[offset + i]!;
        offset += data.length;
      }
    },
    save: (into) => {
      let offset = 0;
      for (const p of params) {
        into.set(p.data, offset);
        offset += p.data.length;
      }
    },
    restore: (from) => {
      let offset = 0;
      for (const p of params) {
        p.data.set(from.subarray(offset, offset + p.data.length));
        offset += p.data.length;
      }
    },
  };
}

function flatDtype(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

function lossValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Tensor) {
    if (value.data.length !== 1) throw new RangeError(`LBFGS: the closure must return a scalar loss, got a tensor of shape [${value.shape.join(', ')}]`);
    return value.data[0]!;
  }
  throw new TypeError(`LBFGS: the closure must return the loss (a Tensor or a number), got ${value === undefined ? 'undefined' : typeof value}`);
}

/** All gradients end to end; a missing gradient counts as zeros, a row-sparse one as its dense sum. */
function gatherFlatGrad(params: readonly Tensor[], out: FloatArray): void {
  let offset = 0;
  for (const p of params) {
    const n = p.data.length;
    const g = p.grad;
    if (g === null) {
      out.fill(0, offset, offset + n);
    } else if (g instanceof SparseRows) {
      out.fill(0, offset, offset + n);
      const width = g.rowSize;
      const rows = g.values.data;
      for (let r = 0; r < g.indices.length; r++) {
        const base = offset + g.indices[r]! * width;
        for (let j = 0; j < width; j++) out[base + j]! += rows[r * width + j]!;
      }
    } else {
      out.set(g.data, offset);
    }
    offset += n;
  }
}

/** The kernel's view of the live state record (sharing its buffers). */
function readState(record: ParamState | undefined, size: number, historySize: number): LbfgsState {
  const flat = (key: string): FloatArray | null => {
    const t = record?.[key];
    return t instanceof Tensor && t.data.length === size ? t.data : null;
  };
  const list = (key: string): FloatArray[] => ((record?.[key] as Tensor[] | undefined) ?? []).map((t) => t.data);
  const num = (key: string): number | null => (typeof record?.[key] === 'number' ? (record[key] as number) : null);
  const hasMemory = record !== undefined && Array.isArray(record.old_dirs);
  const savedAlphas = record?.al as number[] | undefined;
  return {
    funcEvals: num('func_evals') ?? 0,
    nIter: num('n_iter') ?? 0,
    direction: flat('d'),
    step: num('t'),
    memory: hasMemory ? { gradDiffs: list('old_dirs'), steps: list('old_stps'), rho: [...(record.ro as number[])] } : null,
    hDiag: num('H_diag') ?? 1,
    previousGradient: flat('prev_flat_grad'),
    previousLoss: num('prev_loss'),
    alphas: savedAlphas === undefined ? null : alphasBuffer(savedAlphas, historySize),
  };
}

/** Room for α of every pair the memory can hold, the saved values first. */
function alphasBuffer(values: readonly number[], historySize: number): Float64Array {
  const buffer = new Float64Array(Math.max(historySize, values.length));
  buffer.set(values);
  return buffer;
}

/** The live state record PyTorch would hold after this step (sharing the kernel's buffers). */
function writeState(state: LbfgsState, shape: number[]): ParamState {
  const wrap = (data: FloatArray): Tensor => new Tensor(data, shape);
  const record: ParamState = { func_evals: state.funcEvals, n_iter: state.nIter };
  if (state.direction !== null) record.d = wrap(state.direction);
  if (state.step !== null) record.t = state.step;
  if (state.memory !== null) {
    record.old_dirs = state.memory.gradDiffs.map(wrap);
    record.old_stps = state.memory.steps.map(wrap);
    record.ro = [...state.memory.rho];
    record.H_diag = state.hDiag;
  }
  if (state.previousGradient !== null) record.prev_flat_grad = wrap(state.previousGradient);
  if (state.previousLoss !== null) record.prev_loss = state.previousLoss;
  // Only the first (memory length) entries of α were written by the last two-loop recursion.
  if (state.alphas !== null) record.al = Array.from(state.alphas.subarray(0, state.memory?.gradDiffs.length ?? 0));
  return record;
}

/**
 * Adafactor: Adam's second moment without its memory. For a matrix it keeps only the row means
 * and the column means of G² and rebuilds V̂ from them as a rank-1 product, so its state grows
 * with rows + columns instead of rows × columns; the step is relative to the parameter's RMS,
 * and the update is clipped by its own RMS (Shazeer & Stern, 2018).
 *
 * ```text
 * input:  γ (lr), τ (beta2Decay), θ₀ (params), f(θ) (objective), ε₁, ε₂ (eps), d,
 *         λ (weightDecay), maximize
 * initialize:  R₀ ← 0 (row_var), C₀ ← 0 (col_var) for tensors of 2 or more dims,
 *              V̂₀ ← 0 (variance) for the others
 * for t = 1 to … do
 *     Gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  Gₜ ← −Gₜ
 *     β̂₂ₜ ← 1 − t^τ
 *     ρₜ ← min(γ, 1/√t)
 *     αₜ ← max(ε₂, RMS(θₜ₋₁)) ρₜ
 *     θₜ ← θₜ₋₁ − γ λ θₜ₋₁
 *     if dim(Gₜ) > 1:     (over the last two dims, n rows × m columns)
 *         Rₜ ← β̂₂ₜ Rₜ₋₁ + (1 − β̂₂ₜ) mean over columns of Gₜ²
 *         Cₜ ← β̂₂ₜ Cₜ₋₁ + (1 − β̂₂ₜ) mean over rows of Gₜ²
 *         V̂ₜ ← Rₜ Cₜ / max(mean(Rₜ), ε₁)
 *     else:
 *         V̂ₜ ← β̂₂ₜ V̂ₜ₋₁ + (1 − β̂₂ₜ) Gₜ²
 *     Uₜ ← Gₜ / max(√V̂ₜ, ε₁)
 *     Ûₜ ← Uₜ / max(1, RMS(Uₜ) / d)
 *     θₜ ← θₜ − αₜ Ûₜ
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Adafactor`, which differs from the paper in three
 * ways it documents: γ caps the relative step ρₜ (the paper's constant 0.01) and scales the
 * decoupled weight decay; ε₁ floors mean(R) and √V̂ instead of being added to G²; and means
 * replace the paper's sums. It has no first moment (the paper's optional β₁). ε₁ = null is
 * PyTorch's default, the parameter dtype's machine epsilon (2⁻²³ for float32, 2⁻⁵² for float64).
 * A tensor of more than two dims is factored over its last two, one (R, C) pair per leading
 * index, and its RMS(θ) and RMS(U) are the whole tensor's. State: `row_var` of shape
 * [..., n, 1] and `col_var` of shape [..., 1, m], or `variance` of the parameter's shape, and a
 * 0-d tensor `step`. optax's `adafactor` factors only dims of at least 128, decays with 0.8
 * (t^−0.8 here too), and adds ε₁ = 1e-30 to G² as the paper does.
 */
import type { FloatArray, Tensor } from '../tensor/tensor.js';
import { gradientSign } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, invalid, lr, maximize, weightDecay, type Run } from './spec.js';

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), τ (beta2Decay), θ₀ (params), f(θ) (objective), ε₁, ε₂ (eps), d,
        λ (weightDecay), maximize
initialize:  R₀ ← 0 (row_var), C₀ ← 0 (col_var) for tensors of 2 or more dims,
             V̂₀ ← 0 (variance) for the others
for t = 1 to … do
    Gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  Gₜ ← −Gₜ
    β̂₂ₜ ← 1 − t^τ
    ρₜ ← min(γ, 1/√t)
    αₜ ← max(ε₂, RMS(θₜ₋₁)) ρₜ
    θₜ ← θₜ₋₁ − γ λ θₜ₋₁
    if dim(Gₜ) > 1:     (over the last two dims, n rows × m columns)
        Rₜ ← β̂₂ₜ Rₜ₋₁ + (1 − β̂₂ₜ) mean over columns of Gₜ²
        Cₜ ← β̂₂ₜ Cₜ₋₁ + (1 − β̂₂ₜ) mean over rows of Gₜ²
        V̂ₜ ← Rₜ Cₜ / max(mean(Rₜ), ε₁)
    else:
        V̂ₜ ← β̂₂ₜ V̂ₜ₋₁ + (1 − β̂₂ₜ) Gₜ²
    Uₜ ← Gₜ / max(√V̂ₜ, ε₁)
    Ûₜ ← Uₜ / max(1, RMS(Uₜ) / d)
    θₜ ← θₜ − αₜ Ûₜ
return θₜ
`.trim();

export interface AdafactorOptions {
  /** Learning rate γ: the cap of the relative step ρₜ, and the weight decay's scale (default 1e-2). */
  lr: number;
  /** Decay τ ≤ 0 of β̂₂ₜ = 1 − t^τ (default −0.8). */
  beta2Decay: number;
  /** (ε₁, ε₂): the floor of √V̂ and mean(R) (null: the dtype's machine epsilon), and of RMS(θ) (default [null, 1e-3]). */
  eps: [number | null, number];
  /** Clipping threshold d ≥ 1 of RMS(U) (default 1). */
  d: number;
  /** Decoupled weight decay λ (default 0). */
  weightDecay: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface AdafactorState {
  [key: string]: number | Tensor | undefined;
  step: number;
  /** Tensors of 2 or more dims. */
  row_var?: Tensor;
  col_var?: Tensor;
  /** Tensors of 0 or 1 dims. */
  variance?: Tensor;
}

export interface AdafactorHyper {
  /** −1 to maximize. */
  gradScale: number;
  /** 1 − β̂₂ₜ = t^τ: the weight of this step's squared gradient in the running means. */
  beta2Complement: number;
  /** ρₜ = min(γ, 1/√t). */
  relativeStep: number;
  /** ε₁, or null for the parameter dtype's machine epsilon. */
  eps1: number | null;
  eps2: number;
  /** 1 − γλ. */
  paramDecay: number;
  /** d. */
  clipThreshold: number;
}

/** ε₁ when the options leave it null: PyTorch's `torch.finfo(param.dtype).eps`. */
const MACHINE_EPSILON = { float32: 2 ** -23, float64: 2 ** -52 } as const;

/** A factored tensor as `batches` matrices of rows × cols (its last two dims). */
function matrices(shape: readonly number[]): [batches: number, rows: number, cols: number] {
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  return [shape.slice(0, -2).reduce((a, b) => a * b, 1), rows, cols];
}

/** max(ε₂, RMS(θ))·ρₜ over the n values of `param`. */
function absoluteStep(param: FloatArray, n: number, h: AdafactorHyper): number {
  let squares = 0;
  for (let i = 0; i < n; i++) squares += param[i]! * param[i]!;
  return Math.max(h.eps2, Math.sqrt(squares / n)) * h.relativeStep;
}

/** 1 / max(1, RMS(U)/d), from Σ U² over n values. */
function clipFactor(updateSquares: number, n: number, d: number): number {
  return 1 / Math.max(1, Math.sqrt(updateSquares / n) / d);
}

/**
 * A tensor of at most one dimension: V̂ ← V̂ + ω(G² − V̂);  U = G / √max(V̂, ε₁²);
 * θ ← (1 − γλ)θ − α·U / max(1, RMS(U)/d). U is not stored: one pass sums U², the next applies it.
 */
export function adafactorVectorUpdate(param: FloatArray, grad: FloatArray, variance: FloatArray, n: number, eps1: number, h: AdafactorHyper): void {
  const { gradScale, beta2Complement, paramDecay } = h;
  const alpha = absoluteStep(param, n, h);
  const floor = eps1 * eps1;
  let updateSquares = 0;
  for (let i = 0; i < n; i++) {
    const g = grad[i]!;
    const v = variance[i]! + beta2Complement * (g * g - variance[i]!);
    variance[i] = v;
    updateSquares += (g * g) / Math.max(v, floor);
  }
  const step = gradScale * alpha * clipFactor(updateSquares, n, h.clipThreshold);
  for (let i = 0; i < n; i++) param[i] = paramDecay * param[i]! - (step * grad[i]!) / Math.sqrt(Math.max(variance[i]!, floor));
}

/**
 * A tensor of two or more dims, as `batches` matrices of rows × cols:
 * R ← R + ω(mean_c G² − R);  C ← C + ω(mean_r G² − C);  V̂ = R·C / max(mean_r R, ε₁);
 * then U and the step as for a vector, with the whole tensor's RMS(θ) and RMS(U).
 */
export function adafactorFactoredUpdate(param: FloatArray, grad: FloatArray, rowVar: FloatArray, colVar: FloatArray, batches: number, rows: number, cols: number, eps1: number, h: AdafactorHyper): void {
  const { gradScale, beta2Complement, paramDecay } = h;
  const n = batches * rows * cols;
  const alpha = absoluteStep(param, n, h);
  const floor = eps1 * eps1;
  let updateSquares = 0;
  for (let b = 0; b < batches; b++) {
    const base = b * rows * cols;
    let rowSum = 0;
    for (let r = 0; r < rows; r++) {
      let squares = 0;
      for (let c = 0; c < cols; c++) squares += grad[base + r * cols + c]! ** 2;
      const at = b * rows + r;
      rowVar[at] = rowVar[at]! + beta2Complement * (squares / cols - rowVar[at]!);
      rowSum += rowVar[at]!;
    }
    for (let c = 0; c < cols; c++) {
      let squares = 0;
      for (let r = 0; r < rows; r++) squares += grad[base + r * cols + c]! ** 2;
      const at = b * cols + c;
      colVar[at] = colVar[at]! + beta2Complement * (squares / rows - colVar[at]!);
    }
    const rowScale = 1 / Math.max(rowSum / rows, eps1);
    for (let r = 0; r < rows; r++) {
      const rowFactor = rowVar[b * rows + r]! * rowScale;
      for (let c = 0; c < cols; c++) updateSquares += grad[base + r * cols + c]! ** 2 / Math.max(rowFactor * colVar[b * cols + c]!, floor);
    }
  }
  const step = gradScale * alpha * clipFactor(updateSquares, n, h.clipThreshold);
  for (let b = 0; b < batches; b++) {
    const base = b * rows * cols;
    let rowSum = 0;
    for (let r = 0; r < rows; r++) rowSum += rowVar[b * rows + r]!;
    const rowScale = 1 / Math.max(rowSum / rows, eps1);
    for (let r = 0; r < rows; r++) {
      const rowFactor = rowVar[b * rows + r]! * rowScale;
      for (let c = 0; c < cols; c++) {
        const i = base + r * cols + c;
        param[i] = paramDecay * param[i]! - (step * grad[i]!) / Math.sqrt(Math.max(rowFactor * colVar[b * cols + c]!, floor));
      }
    }
  }
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * The fused kernels, one call per parameter: its factors (or V̂) are copied into the arena's
 * workspace, updated there, and copied back, so the state stays sub-linear on this path too.
 */
export function adafactorFused(arena: ParamArena, run: Run<AdafactorState>, h: AdafactorHyper): void {
  const eps1 = h.eps1 ?? MACHINE_EPSILON.float32;
  const { workspace, workspaceAddress } = arena;
  for (let k = 0; k < run.indices.length; k++) {
    const i = run.indices[k]!;
    const s = run.states[k]!;
    const param = arena.address(i);
    const grad = param + arena.gradOffset;
    if (s.row_var !== undefined) {
      const rowVar = s.row_var.data;
      const colVar = s.col_var!.data;
      const colAt = align4(rowVar.length);
      workspace.set(rowVar, 0);
      workspace.set(colVar, colAt);
      const [batches, rows, cols] = matrices(run.params[k]!.shape);
      arena.kernels.adafactorFactored(param, grad, workspaceAddress, workspaceAddress + 4 * colAt, batches, rows, cols, h.gradScale, h.beta2Complement, h.relativeStep, eps1, h.eps2, h.paramDecay, h.clipThreshold);
      rowVar.set(workspace.subarray(0, rowVar.length));
      colVar.set(workspace.subarray(colAt, colAt + colVar.length));
    } else {
      const variance = s.variance!.data;
      workspace.set(variance, 0);
      arena.kernels.adafactorVector(param, grad, workspaceAddress, variance.length, h.gradScale, h.beta2Complement, h.relativeStep, eps1, h.eps2, h.paramDecay, h.clipThreshold);
      variance.set(workspace.subarray(0, variance.length));
    }
  }
}

/** Workspace floats for the largest parameter: its factors (or V̂), padded as the kernels read them. */
function workspaceFloats(params: readonly Tensor[]): number {
  let most = 0;
  for (const p of params) {
    if (p.shape.length >= 2) {
      const [batches, rows, cols] = matrices(p.shape);
      most = Math.max(most, align4(batches * rows) + batches * cols + 4);
    } else {
      most = Math.max(most, align8(p.data.length));
    }
  }
  return most;
}

function adafactorScalars(h: AdafactorHyper, o: Readonly<AdafactorOptions>, step: number): void {
  h.gradScale = gradientSign(o);
  h.beta2Complement = step ** o.beta2Decay;
  h.relativeStep = Math.min(o.lr, 1 / Math.sqrt(step));
  h.eps1 = o.eps[0];
  h.eps2 = o.eps[1];
  h.paramDecay = 1 - o.lr * o.weightDecay;
  h.clipThreshold = o.d;
}

/** Bytes of state per float32 value: R + C per matrix, n for a vector (the 0-d step aside). */
function stateBytes(shapes: ReadonlyArray<readonly number[]>): number {
  let values = 0;
  let state = 0;
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    values += n;
    if (shape.length >= 2) {
      const [batches, rows, cols] = matrices(shape);
      state += batches * (rows + cols);
    } else {
      state += n;
    }
  }
  return values === 0 ? 0 : (4 * state) / values;
}

export const adafactorSpec = defineKernelOptimizer<AdafactorOptions, AdafactorState, AdafactorHyper>({
  id: 'adafactor',
  displayName: 'Adafactor',
  torchName: 'Adafactor',
  summary: "Adam's second moment in sub-linear memory: row and column means of G², a step relative to the weights' RMS.",
  algorithm: BOX,
  paper: { title: 'Adafactor: Adaptive Learning Rates with Sublinear Memory Cost', authors: 'Shazeer, Stern', year: 2018, url: 'https://arxiv.org/abs/1804.04235' },
  options: [
    lr(1e-2, 'Cap of the relative step size ρₜ = min(γ, 1/√t), and the scale of the weight decay.'),
    { name: 'beta2Decay', type: 'number', default: -0.8, max: 0, range: [-1, -0.1], scale: 'linear', description: 'Decay τ ≤ 0: the second moment averages with weight t^τ on the newest G².' },
    { name: 'eps', type: 'tuple', length: 2, nullableAt: [0], default: [null, 1e-3], min: 0, range: [1e-30, 1e-2], scale: 'log', description: "(ε₁, ε₂): the floor of √V̂ (null: the dtype's machine epsilon), and of RMS(θ) in the step size." },
    { name: 'd', type: 'number', default: 1, min: 1, range: [1, 10], scale: 'linear', description: 'Clipping threshold d ≥ 1: the update is scaled down where RMS(U) > d.' },
    weightDecay(0, 'Decoupled weight decay λ: θ shrinks by γλ each step.'),
    maximize,
  ],
  torchGroupKeys: { foreach: null },
  state: {
    step: { kind: 'count0d' },
    row_var: { kind: 'tensor', nonNegative: true, shape: (s) => (s.length >= 2 ? [...s.slice(0, -1), 1] : null) },
    col_var: { kind: 'tensor', nonNegative: true, shape: (s) => (s.length >= 2 ? [...s.slice(0, -2), 1, s[s.length - 1]!] : null) },
    variance: { kind: 'tensor', nonNegative: true, shape: (s) => (s.length < 2 ? [...s] : null) },
  },
  stateBytesPerParam: (_o, shapes = [[1]]) => stateBytes(shapes),
  stateBytesNote: '4·(r + c)/(r·c) for an r × c matrix, 4 for a vector',
  kernels: {
    hyper: () => ({ gradScale: 1, beta2Complement: 1, relativeStep: 0, eps1: null, eps2: 0, paramDecay: 1, clipThreshold: 1 }),
    scalars: (h, o, run) => adafactorScalars(h, o, run.states[0]!.step),
    plain: (h, _o, p, grad, s) => {
      const g = (grad as Tensor).data;
      const eps1 = h.eps1 ?? MACHINE_EPSILON[p.dtype];
      if (s.row_var !== undefined) adafactorFactoredUpdate(p.data, g, s.row_var.data, s.col_var!.data, ...matrices(p.shape), eps1, h);
      else adafactorVectorUpdate(p.data, g, s.variance!.data, p.data.length, eps1, h);
    },
    fused: (h, _o, arena, run) => adafactorFused(arena, run, h),
    workspace: workspaceFloats,
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.5 }, steps: 150 },
    rosenbrock: { options: { lr: 0.05 }, steps: 1000, below: 0.05 },
    invalid: [
      invalid.lr,
      { options: { beta2Decay: 0.5 }, error: /Invalid beta2Decay value: 0\.5/ },
      { options: { eps: [null, -1] }, error: /Invalid eps value .*: \[null, -1\]/ },
      { options: { d: 0.5 }, error: /Invalid d value: 0\.5/ },
      invalid.weightDecay,
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<AdafactorOptions>, options?: Partial<AdafactorOptions>) => new Adafactor(params, options),
});

export const ADAFACTOR_DEFAULTS: Readonly<AdafactorOptions> = adafactorSpec.defaults;

export class Adafactor extends KernelOptimizer<AdafactorOptions, AdafactorState, AdafactorHyper> {
  constructor(params: ParamsInput<AdafactorOptions>, options: Partial<AdafactorOptions> = {}) {
    super(params, adafactorSpec, options);
  }
}

/**
 * Muon: momentum for matrices, made orthogonal. The momentum's direction goes through a few
 * Newton–Schulz iterations that push all its singular values towards 1, so every direction of
 * the matrix moves by about the same amount (Jordan et al., 2024). For the 2-D weights of hidden
 * layers; the rest of a network (biases, gains, embeddings, the output layer) takes AdamW.
 *
 * ```text
 * input:  γ (lr), λ (weightDecay), μ (momentum), nesterov, (a, b, c) (nsCoefficients),
 *         ε (eps), k (nsSteps), adjustLrFn, θ₀ (params: matrices), f(θ) (objective)
 * initialize:  B₀ ← 0 (momentum_buffer)
 * for t = 1 to … do
 *     Gₜ ← ∇θ fₜ(θₜ₋₁)
 *     Bₜ ← μ Bₜ₋₁ + (1 − μ) Gₜ
 *     if nesterov:  B̃ₜ ← μ Bₜ + (1 − μ) Gₜ
 *     else:         B̃ₜ ← Bₜ
 *     X ← B̃ₜ / max(‖B̃ₜ‖_F, ε)            (transposed when it has more rows than columns)
 *     k times:  A ← X Xᵀ;  X ← a X + (b A + c A²) X
 *     θₜ ← θₜ₋₁ − γ λ θₜ₋₁
 *     γ' ← γ √max(1, rows/cols)           (adjustLrFn 'original', the default)
 *        or 0.2 γ √max(rows, cols)        ('match_rms_adamw')
 *     θₜ ← θₜ − γ' X
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Muon`, which refuses any parameter that is not a
 * matrix (so does descent: give those to AdamW in a second optimizer). Its momentum is an
 * average (`lerp`), not the sum Bₜ ← μBₜ₋₁ + Gₜ of its docstring and of Jordan's post; with
 * nesterov, B̃ₜ = Gₜ + μ(Bₜ − Gₜ). Its Newton–Schulz iteration runs in bfloat16, with every
 * product summed in float32 and rounded once (`addmm`); descent rounds to bfloat16 at the same
 * points, summing in doubles. The iteration amplifies rounding, so where a sum lands next to a
 * bfloat16 rounding boundary the two can round apart, and the update then differs by about one
 * bfloat16 step (~0.4 %) in many elements; on the golden cases it matches to 5e-6. Muon has no
 * `maximize` in PyTorch. PyTorch accepts momentum ≥ 1 and a negative ε; descent refuses them.
 */
import type { FloatArray, Tensor } from '../tensor/tensor.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, eps, flag, invalid, lr, weightDecay, type Run } from './spec.js';

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), λ (weightDecay), μ (momentum), nesterov, (a, b, c) (nsCoefficients),
        ε (eps), k (nsSteps), adjustLrFn, θ₀ (params: matrices), f(θ) (objective)
initialize:  B₀ ← 0 (momentum_buffer)
for t = 1 to … do
    Gₜ ← ∇θ fₜ(θₜ₋₁)
    Bₜ ← μ Bₜ₋₁ + (1 − μ) Gₜ
    if nesterov:  B̃ₜ ← μ Bₜ + (1 − μ) Gₜ
    else:         B̃ₜ ← Bₜ
    X ← B̃ₜ / max(‖B̃ₜ‖_F, ε)            (transposed when it has more rows than columns)
    k times:  A ← X Xᵀ;  X ← a X + (b A + c A²) X
    θₜ ← θₜ₋₁ − γ λ θₜ₋₁
    γ' ← γ √max(1, rows/cols)           (adjustLrFn 'original', the default)
       or 0.2 γ √max(rows, cols)        ('match_rms_adamw')
    θₜ ← θₜ − γ' X
return θₜ
`.trim();

export type MuonLrAdjustment = null | 'original' | 'match_rms_adamw';

export interface MuonOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decoupled weight decay λ (default 0.1). */
  weightDecay: number;
  /** Momentum μ: the weight of the old average (default 0.95). */
  momentum: number;
  /** Step along the look-ahead μBₜ + (1 − μ)Gₜ (default true). */
  nesterov: boolean;
  /** (a, b, c) of the quintic a·σ + b·σ³ + c·σ⁵ (default [3.4445, −4.775, 2.0315]). */
  nsCoefficients: [number, number, number];
  /** Floor of ‖B̃‖_F when it is normalized (default 1e-7). */
  eps: number;
  /** Newton–Schulz iterations, 0 to 99 (default 5). */
  nsSteps: number;
  /** How γ scales with the matrix's shape: null or 'original' (√max(1, rows/cols)), or 'match_rms_adamw' (default null). */
  adjustLrFn: MuonLrAdjustment;
}

export interface MuonState {
  [key: string]: Tensor;
  momentum_buffer: Tensor;
}

/** Scratch of the plain kernel: X and its next value (m·k), A and bA + cA² (m·m), m ≤ k the sides. */
export interface MuonScratch {
  x: Float32Array;
  next: Float32Array;
  gram: Float32Array;
  poly: Float32Array;
}

export interface MuonHyper {
  momentum: number;
  /** The direction is directGradWeight·G + bufferWeight·B: Nesterov (1 − μ, μ), plain (0, 1). */
  directGradWeight: number;
  bufferWeight: number;
  nsA: number;
  nsB: number;
  nsC: number;
  nsSteps: number;
  eps: number;
  /** 1 − γλ. */
  paramDecay: number;
  lr: number;
  adjustLrFn: MuonLrAdjustment;
  /** Grown to the largest matrix on its first step, then reused. */
  scratch: MuonScratch;
}

const lane = new Float32Array(1);
const laneBits = new Uint32Array(lane.buffer);

/** x rounded to float32, then to the nearest bfloat16 (8 significant bits, ties to even). */
export function roundToBfloat16(x: number): number {
  lane[0] = x;
  const bits = laneBits[0]!;
  laneBits[0] = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  return lane[0]!;
}

/** γ' for a rows × cols matrix. */
export function adjustedLr(lr: number, adjustLrFn: MuonLrAdjustment, rows: number, cols: number): number {
  return adjustLrFn === 'match_rms_adamw' ? 0.2 * lr * Math.sqrt(Math.max(rows, cols)) : lr * Math.sqrt(Math.max(1, rows / cols));
}

/**
 * One matrix: B ← B + (1 − μ)(G − B);  X ← bf16(direction), transposed when rows > cols, so
 * that X is m × k with m ≤ k;  X ← bf16(X / max(bf16(‖X‖_F), bf16(ε)));  k times:
 * A ← bf16(XXᵀ);  P ← bf16(bA + cA·A);  X ← bf16(aX + P·X);  θ ← (1 − γλ)θ − γ'·X.
 */
export function muonUpdate(param: FloatArray, grad: FloatArray, buffer: FloatArray, rows: number, cols: number, step: number, h: MuonHyper): void {
  const { momentum, directGradWeight, bufferWeight, nsA, nsB, nsC, paramDecay } = h;
  const m = Math.min(rows, cols);
  const k = Math.max(rows, cols);
  // X[i, j] is the direction at (i, j) of a wide matrix, at (j, i) of a tall one.
  const rowStride = rows > cols ? 1 : cols;
  const colStride = rows > cols ? cols : 1;
  let { x, next } = h.scratch;
  const { gram, poly } = h.scratch;
  let squares = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const at = i * rowStride + j * colStride;
      const g = grad[at]!;
      buffer[at] = buffer[at]! + (1 - momentum) * (g - buffer[at]!);
      const u = roundToBfloat16(directGradWeight * g + bufferWeight * buffer[at]!);
      x[i * k + j] = u;
      squares += u * u;
    }
  }
  const norm = Math.max(roundToBfloat16(Math.sqrt(squares)), roundToBfloat16(h.eps));
  for (let i = 0; i < m * k; i++) x[i] = roundToBfloat16(x[i]! / norm);
  for (let s = 0; s < h.nsSteps; s++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let dot = 0;
        for (let l = 0; l < k; l++) dot += x[i * k + l]! * x[j * k + l]!;
        gram[i * m + j] = roundToBfloat16(dot);
      }
    }
    // A is symmetric, so (A·A)[i, j] = Σₗ A[i, l]·A[j, l]: both products read rows.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let dot = 0;
        for (let l = 0; l < m; l++) dot += gram[i * m + l]! * gram[j * m + l]!;
        poly[i * m + j] = roundToBfloat16(nsB * gram[i * m + j]! + nsC * dot);
      }
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        let dot = nsA * x[i * k + j]!;
        for (let l = 0; l < m; l++) dot += poly[i * m + l]! * x[l * k + j]!;
        next[i * k + j] = roundToBfloat16(dot);
      }
    }
    const result = next;
    next = x;
    x = result;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const at = i * rowStride + j * colStride;
      param[at] = paramDecay * param[at]! - step * x[i * k + j]!;
    }
  }
}

/** The plain kernel's scratch, grown to hold a rows × cols matrix. */
function ensureScratch(h: MuonHyper, rows: number, cols: number): void {
  const m = Math.min(rows, cols);
  const k = Math.max(rows, cols);
  if (h.scratch.x.length < m * k) h.scratch.x = new Float32Array(m * k);
  if (h.scratch.next.length < m * k) h.scratch.next = new Float32Array(m * k);
  if (h.scratch.gram.length < m * m) h.scratch.gram = new Float32Array(m * m);
  if (h.scratch.poly.length < m * m) h.scratch.poly = new Float32Array(m * m);
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** The fused kernel's workspace for an m × k matrix: X and its next value (m rows of k padded to 4), A and P (m rows of m padded). */
function workspaceLayout(rows: number, cols: number): { x: number; next: number; gram: number; poly: number; floats: number } {
  const m = Math.min(rows, cols);
  const k = Math.max(rows, cols);
  const xFloats = m * align4(k);
  const gramFloats = m * align4(m);
  return { x: 0, next: xFloats, gram: 2 * xFloats, poly: 2 * xFloats + gramFloats, floats: 2 * xFloats + 2 * gramFloats };
}

/** The fused kernel, one call per matrix, its Newton–Schulz matrices in the arena's workspace. */
export function muonFused(arena: ParamArena, run: Run<MuonState>, h: MuonHyper): void {
  const base = arena.workspaceAddress;
  for (let k = 0; k < run.indices.length; k++) {
    const i = run.indices[k]!;
    const [rows, cols] = run.params[k]!.shape as [number, number];
    const at = workspaceLayout(rows, cols);
    const param = arena.address(i);
    arena.kernels.muon(
      param, param + arena.gradOffset, param + arena.stateOffset('momentum_buffer'), rows, cols,
      base + 4 * at.x, base + 4 * at.next, base + 4 * at.gram, base + 4 * at.poly,
      h.momentum, h.directGradWeight, h.bufferWeight, h.nsA, h.nsB, h.nsC, h.nsSteps, h.eps, h.paramDecay, adjustedLr(h.lr, h.adjustLrFn, rows, cols),
    );
  }
}

function muonScalars(h: MuonHyper, o: Readonly<MuonOptions>): void {
  h.momentum = o.momentum;
  h.directGradWeight = o.nesterov ? 1 - o.momentum : 0;
  h.bufferWeight = o.nesterov ? o.momentum : 1;
  [h.nsA, h.nsB, h.nsC] = o.nsCoefficients;
  h.nsSteps = o.nsSteps;
  h.eps = o.eps;
  h.paramDecay = 1 - o.lr * o.weightDecay;
  h.lr = o.lr;
  h.adjustLrFn = o.adjustLrFn;
}

export const muonSpec = defineKernelOptimizer<MuonOptions, MuonState, MuonHyper>({
  id: 'muon',
  displayName: 'Muon',
  torchName: 'Muon',
  summary: 'Momentum orthogonalized by Newton–Schulz iterations, for the 2-D weights of hidden layers.',
  algorithm: BOX,
  paper: { title: 'Muon: An optimizer for hidden layers in neural networks', authors: 'Jordan, Jin, Boza, You, Cesista, Newhouse, Bernstein', year: 2024, url: 'https://kellerjordan.github.io/posts/muon/' },
  options: [
    lr(1e-3),
    weightDecay(0.1, 'Decoupled weight decay λ: θ shrinks by γλ each step.'),
    { name: 'momentum', type: 'number', default: 0.95, min: 0, max: 1, exclusiveMax: true, range: [0, 0.99], scale: 'linear', description: 'Momentum μ: the weight of the old average in B.' },
    flag('nesterov', 'Step along the look-ahead μB + (1 − μ)G instead of B.', true),
    { name: 'nsCoefficients', type: 'tuple', length: 3, default: [3.4445, -4.775, 2.0315], description: 'Coefficients (a, b, c) of the Newton–Schulz quintic aσ + bσ³ + cσ⁵.' },
    eps(1e-7, 'Floor of the direction’s Frobenius norm when it is normalized.'),
    { name: 'nsSteps', type: 'number', default: 5, min: 0, max: 99, integer: true, range: [0, 10], scale: 'linear', description: 'Newton–Schulz iterations (fewer than 100).' },
    { name: 'adjustLrFn', type: 'choice', choices: [null, 'original', 'match_rms_adamw'], default: null, description: "How the step scales with the matrix's shape: 'original' (null) √max(1, rows/cols); 'match_rms_adamw' 0.2·√max(rows, cols), the RMS of an AdamW update." },
  ],
  acceptsParam: (shape) => (shape.length === 2 ? null : `Muon only supports 2D parameters whereas we found a parameter with size [${shape.join(', ')}]; give the other parameters to AdamW`),
  state: { momentum_buffer: { kind: 'param' } },
  kernels: {
    hyper: () => ({ momentum: 0, directGradWeight: 0, bufferWeight: 1, nsA: 0, nsB: 0, nsC: 0, nsSteps: 0, eps: 0, paramDecay: 1, lr: 0, adjustLrFn: null, scratch: { x: new Float32Array(0), next: new Float32Array(0), gram: new Float32Array(0), poly: new Float32Array(0) } }),
    scalars: (h, o) => muonScalars(h, o),
    sameRun: () => true,
    plain: (h, _o, p, grad, s) => {
      const [rows, cols] = p.shape as [number, number];
      ensureScratch(h, rows, cols);
      muonUpdate(p.data, (grad as Tensor).data, s.momentum_buffer.data, rows, cols, adjustedLr(h.lr, h.adjustLrFn, rows, cols), h);
    },
    fused: (h, _o, arena, run) => muonFused(arena, run, h),
    workspace: (params) => Math.max(0, ...params.map((p) => workspaceLayout(p.shape[0]!, p.shape[1]!).floats)),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.05, weightDecay: 0 }, steps: 200 },
    rosenbrock: { options: { lr: 0.01, weightDecay: 0 }, steps: 1000, below: 0.05 },
    invalid: [
      invalid.lr,
      { options: { momentum: 1 }, error: /Invalid momentum value: 1/ },
      { options: { nsSteps: 100 }, error: /Invalid nsSteps value/ },
      { options: { adjustLrFn: 'sqrt' }, error: /Invalid adjustLrFn value/ },
      invalid.eps,
      invalid.weightDecay,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<MuonOptions>, options?: Partial<MuonOptions>) => new Muon(params, options),
});

export const MUON_DEFAULTS: Readonly<MuonOptions> = muonSpec.defaults;

export class Muon extends KernelOptimizer<MuonOptions, MuonState, MuonHyper> {
  constructor(params: ParamsInput<MuonOptions>, options: Partial<MuonOptions> = {}) {
    super(params, muonSpec, options);
  }
}

/**
 * The race's contestants. Most are a registry spec with its PyTorch defaults; a few are
 * configurations the lecture names separately (SGD with heavy-ball or Nesterov momentum,
 * LARS with momentum) or wrappers around another optimizer (Lookahead around Adam, SAM
 * around SGD with momentum). L-BFGS runs one iteration per step so that a "step" costs one
 * gradient evaluation, as for the others.
 */
import type { Tensor } from '../tensor/tensor.js';
import { getOptimizerSpec, getWrapperSpec, type OptimizerSpec, type WrapperSpec } from '../optim/registry.js';
import type { OptimizerFactory, OptimizerLike } from './harness.js';

export interface RaceEntry {
  /** Unique within the race: what `--optimizers` takes. */
  readonly id: string;
  readonly label: string;
  /** The registry spec this entry is (or wraps), for `describe`, flags and defaults. */
  readonly spec: OptimizerSpec;
  /** The registry's wrapper spec, for an entry that wraps `spec` (Lookahead, SAM). */
  readonly wrapper: WrapperSpec | null;
  /** Options fixed for this entry (besides lr). */
  readonly options: Readonly<Record<string, unknown>>;
  /** How momentum enters, for the comparison table. */
  readonly momentum: string;
  /** How the step is scaled per coordinate or per layer, for the comparison table. */
  readonly adaptive: string;
  /** Centre of the learning-rate sweep: on networks, and on 2-D surfaces. */
  readonly centerLr: { readonly network: number; readonly surface: number };
  readonly gradients: 'dense' | 'sparse' | 'dense-or-sparse';
  /**
   * Copies of the parameters the lecture's memory column says this optimizer keeps
   * ("O(1)" counts as 0); null where the lecture's table has no row for it.
   */
  readonly lectureBuffers: number | null;
  /**
   * The registry's declared state bytes per parameter for this configuration, for parameters of
   * these shapes (Adafactor's depend on them; the others' do not).
   */
  declaredStateBytes(shapes: ReadonlyArray<readonly number[]>): number | null;
  /** Builds the optimizer, with extra options (weight decay, β₂, ...) over the entry's own. */
  factory(extra?: Readonly<Record<string, unknown>>): OptimizerFactory;
}

/**
 * Where SGD's sweeps centre: the values PyTorch's examples use, 0.1 for networks and 0.01 on the
 * surfaces. Its PyTorch default (1e-3 since 2.0; 1.13 had none) is a placeholder far below both.
 */
const SGD_CENTER = { network: 0.1, surface: 0.01 };

function registryEntry(
  id: string,
  specId: string,
  label: string,
  options: Record<string, unknown>,
  table: { momentum: string; adaptive: string; lectureBuffers: number | null },
  center: { network?: number; surface?: number } = {},
): RaceEntry {
  const spec = getOptimizerSpec(specId);
  const defaultLr = (spec.defaults as { lr?: number }).lr;
  const network = center.network ?? defaultLr ?? 0.1;
  const surface = center.surface ?? defaultLr ?? 0.01;
  return {
    id,
    label,
    spec,
    wrapper: null,
    options,
    ...table,
    centerLr: { network, surface },
    gradients: spec.gradients,
    declaredStateBytes: (shapes) => spec.stateBytesPerParam(options as never, shapes),
    factory: (extra = {}) => (params: Tensor[], lr: number) => spec.create(params, { ...options, ...extra, lr }) as unknown as OptimizerLike,
  };
}

/** A registry wrapper (Lookahead, SAM) around a registry optimizer with fixed options. */
function wrapperEntry(
  id: string,
  label: string,
  inner: OptimizerSpec,
  innerOptions: Record<string, unknown>,
  wrapperOptions: Record<string, unknown>,
  table: { momentum: string; adaptive: string },
  center: { network?: number; surface?: number } = {},
): RaceEntry {
  const wrapper = getWrapperSpec(id);
  const innerLr = (inner.defaults as { lr?: number }).lr;
  return {
    id,
    label,
    spec: inner,
    wrapper,
    options: { ...innerOptions, ...wrapperOptions },
    ...table,
    centerLr: { network: center.network ?? innerLr ?? 0.1, surface: center.surface ?? innerLr ?? 0.01 },
    gradients: 'dense',
    lectureBuffers: null,
    declaredStateBytes: (shapes) => inner.stateBytesPerParam(innerOptions as never, shapes) + wrapper.extraBytesPerParam,
    factory: (extra = {}) => (params: Tensor[], lr: number) => wrapper.create(inner.create(params, { ...innerOptions, ...extra, lr }), wrapperOptions) as unknown as OptimizerLike,
  };
}

/** AdamW's learning rate beside Muon's: the README recipe's 3e-3 beside 0.02. */
const MUON_ADAMW_LR_RATIO = 0.15;

/**
 * The weight matrices Muon takes and the parameters AdamW takes, as Muon is used: every matrix
 * but the last (the output layer), or the only one; AdamW the rest (the output layer, biases).
 */
function muonSplit<T extends { shape: readonly number[] }>(params: readonly T[]): { muon: T[]; adamw: T[] } {
  const matrices = params.filter((p) => p.shape.length === 2);
  const head = matrices.length > 1 ? matrices[matrices.length - 1] : undefined;
  const muon = matrices.filter((p) => p !== head);
  return { muon, adamw: params.filter((p) => !muon.includes(p)) };
}

/**
 * Muon as it is used: Muon on the hidden weight matrices, AdamW (lr × 0.15) on the rest, stepped
 * together as one optimizer whose groups are both optimizers' groups (a schedule scales both).
 */
function muonEntry(): RaceEntry {
  const muonSpec = getOptimizerSpec('muon');
  const adamwSpec = getOptimizerSpec('adamw');
  const network = 0.02;
  return {
    id: 'muon',
    label: 'Muon (+ AdamW for the output layer and biases)',
    spec: muonSpec,
    wrapper: null,
    options: {},
    momentum: `EMA μ = ${(muonSpec.defaults as { momentum: number }).momentum}, Nesterov`,
    adaptive: 'orthogonalized (Newton–Schulz), per matrix',
    centerLr: { network, surface: network },
    gradients: 'dense',
    lectureBuffers: null,
    declaredStateBytes: (shapes) => {
      const { muon, adamw } = muonSplit(shapes.map((shape) => ({ shape })));
      const count = (list: ReadonlyArray<{ shape: readonly number[] }>) => list.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      const total = count(muon) + count(adamw);
      return total === 0 ? 0 : (count(muon) * muonSpec.stateBytesPerParam() + count(adamw) * adamwSpec.stateBytesPerParam()) / total;
    },
    factory: (extra = {}) => (params: Tensor[], lr: number) => {
      const split = muonSplit(params);
      const muon = muonSpec.create(split.muon as never, { ...extra, lr });
      const adamw = split.adamw.length === 0 ? null : adamwSpec.create(split.adamw as never, { lr: MUON_ADAMW_LR_RATIO * lr });
      const groups = [...muon.paramGroups, ...(adamw?.paramGroups ?? [])] as unknown as OptimizerLike['paramGroups'];
      return {
        paramGroups: groups,
        step(closure) {
          // The closure (if any) computes every gradient once; AdamW steps on the same ones.
          const loss = muon.step(closure as never);
          adamw?.step();
          return loss;
        },
        zeroGrad(options) {
          muon.zeroGrad(options);
          adamw?.zeroGrad(options);
        },
        stateDict: () => ({ muon: muon.stateDict(), adamw: adamw?.stateDict() ?? null }),
      } as OptimizerLike;
    },
  };
}

function buildEntries(): RaceEntry[] {
  const adamSpec = getOptimizerSpec('adam');
  const sgdSpec = getOptimizerSpec('sgd');
  const [beta1, beta2] = (adamSpec.defaults as { betas: [number, number] }).betas;
  const ema = `EMA of g² (β₂ = ${beta2})`;
  const entries: RaceEntry[] = [
    registryEntry('sgd', 'sgd', 'SGD', {}, { momentum: '—', adaptive: '—', lectureBuffers: 0 }, SGD_CENTER),
    registryEntry('momentum', 'sgd', 'SGD + momentum', { momentum: 0.9 }, { momentum: 'heavy ball μ = 0.9', adaptive: '—', lectureBuffers: 0 }, SGD_CENTER),
    registryEntry('nesterov', 'sgd', 'SGD + Nesterov', { momentum: 0.9, nesterov: true }, { momentum: 'Nesterov μ = 0.9', adaptive: '—', lectureBuffers: 0 }, SGD_CENTER),
    registryEntry('adagrad', 'adagrad', 'Adagrad', {}, { momentum: '—', adaptive: 'Σ of all g²', lectureBuffers: 1 }),
    registryEntry('rmsprop', 'rmsprop', 'RMSprop', {}, { momentum: '—', adaptive: 'EMA of g² (α = 0.99)', lectureBuffers: 1 }),
    registryEntry('adadelta', 'adadelta', 'Adadelta', {}, { momentum: '—', adaptive: 'EMA of g² and of Δθ² (ρ = 0.9)', lectureBuffers: 2 }),
    registryEntry('adam', 'adam', 'Adam', {}, { momentum: `EMA β₁ = ${beta1}`, adaptive: ema, lectureBuffers: 2 }),
    registryEntry('adamw', 'adamw', 'AdamW', {}, { momentum: `EMA β₁ = ${beta1}`, adaptive: `${ema}, decoupled decay`, lectureBuffers: 2 }),
    registryEntry('adamax', 'adamax', 'Adamax', {}, { momentum: `EMA β₁ = ${beta1}`, adaptive: 'decaying max |g|', lectureBuffers: null }),
    registryEntry('nadam', 'nadam', 'NAdam', {}, { momentum: `Nesterov EMA β₁ = ${beta1}`, adaptive: ema, lectureBuffers: null }),
    registryEntry('radam', 'radam', 'RAdam', {}, { momentum: `EMA β₁ = ${beta1}`, adaptive: `${ema}, rectified`, lectureBuffers: null }),
    registryEntry('sparseadam', 'sparseadam', 'SparseAdam', {}, { momentum: `EMA β₁ = ${beta1} (lazy)`, adaptive: `${ema} (lazy)`, lectureBuffers: null }),
    registryEntry('lamb', 'lamb', 'LAMB', {}, { momentum: `EMA β₁ = ${beta1}`, adaptive: `${ema} + layer trust ratio`, lectureBuffers: null }),
    registryEntry('lars', 'lars', 'LARS (μ = 0.9)', { momentum: 0.9 }, { momentum: 'heavy ball μ = 0.9', adaptive: 'layer trust ratio', lectureBuffers: null }),
    registryEntry('lbfgs', 'lbfgs', 'L-BFGS (1 iteration/step)', { maxIter: 1, historySize: 10 }, { momentum: '—', adaptive: 'quasi-Newton, 10 curvature pairs', lectureBuffers: null }, { network: 0.1 }),
    registryEntry('rprop', 'rprop', 'Rprop', {}, { momentum: '—', adaptive: 'sign of g, a step size per weight', lectureBuffers: null }),
    registryEntry('asgd', 'asgd', 'ASGD', {}, { momentum: '—', adaptive: '— (decaying η, averaged iterates)', lectureBuffers: null }),
    registryEntry('adafactor', 'adafactor', 'Adafactor', {}, { momentum: '—', adaptive: 'factored EMA of g² (row × column means), relative step', lectureBuffers: null }),
    muonEntry(),
    wrapperEntry('lookahead', 'Lookahead (Adam, k = 6, α = 0.5)', adamSpec, {}, { k: 6, alpha: 0.5 }, { momentum: 'inner Adam + slow weights', adaptive: 'inner Adam' }),
    wrapperEntry('sam', 'SAM (SGD + momentum, ρ = 0.05)', sgdSpec, { momentum: 0.9 }, { rho: 0.05 }, { momentum: 'heavy ball μ = 0.9 (inner SGD)', adaptive: '— (2 gradients per step)' }, SGD_CENTER),
  ];
  return entries;
}

let cached: RaceEntry[] | null = null;

/** Every contestant, in the lecture's order. */
export function raceEntries(): readonly RaceEntry[] {
  cached ??= buildEntries();
  return cached;
}

export function raceEntryIds(): string[] {
  return raceEntries().map((e) => e.id);
}

/** The entry with this id (any entry, selected or not). */
export function raceEntry(id: string): RaceEntry {
  const found = raceEntries().find((e) => e.id === id);
  if (!found) throw new RaceInputError('optimizers', `no race entry ${JSON.stringify(id)}; valid: ${raceEntryIds().join(', ')}`);
  return found;
}

/**
 * The entries named in a list (absent: all), in the lecture's order. An unknown name, or a
 * list with no names at all, is an error listing the valid ones.
 */
export function selectEntries(names: readonly string[] | undefined): RaceEntry[] {
  const all = raceEntries();
  if (names === undefined) return [...all];
  const wanted = names.map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (wanted.length === 0) throw new RaceInputError('optimizers', `the list is empty; name at least one of: ${raceEntryIds().join(', ')}`);
  if (wanted.length === 1 && wanted[0] === 'all') return [...all];
  const unknown = wanted.filter((n) => !all.some((e) => e.id === n));
  if (unknown.length > 0) {
    throw new RaceInputError('optimizers', `unknown optimizer${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}; valid: ${raceEntryIds().join(', ')}`);
  }
  return all.filter((e) => wanted.includes(e.id));
}

/** A race asked for something that does not exist or cannot run (the CLI exits with status 2). */
export class RaceInputError extends Error {
  override readonly name = 'RaceInputError';
  constructor(
    /** The option at fault: 'optimizers', 'claims', 'seed', 'seeds' or 'budget'. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Adam without bias correction, as a configuration of the same Adam: before step t the group's
 * lr and ε are rescaled so that Adam's corrected update equals the uncorrected one,
 *
 *   γ (m/b₁) / (√v/√b₂ + ε′) = γ m / (√v + ε)   with γ′ = γ·b₁/√b₂ and ε′ = ε/√b₂,
 *
 * where b₁ = 1 − β₁ᵗ and b₂ = 1 − β₂ᵗ. The optimizer's own state (m, v, step) is untouched.
 */
export function withoutBiasCorrection(factory: OptimizerFactory): OptimizerFactory {
  return (params, lr) => {
    const inner = factory(params, lr);
    const groups = inner.paramGroups as Array<{ lr: number; eps: number; betas: [number, number] }>;
    let t = 0;
    return {
      get paramGroups() {
        return inner.paramGroups;
      },
      zeroGrad: (options) => inner.zeroGrad(options),
      step(closure) {
        t += 1;
        // The values a schedule (or the caller) set for this step, restored after it.
        const base = groups.map((g) => ({ lr: g.lr, eps: g.eps }));
        groups.forEach((g, k) => {
          const [beta1, beta2] = g.betas;
          const bc1 = 1 - beta1 ** t;
          const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
          g.lr = (base[k]!.lr * bc1) / bc2Sqrt;
          g.eps = base[k]!.eps / bc2Sqrt;
        });
        try {
          return inner.step(closure);
        } finally {
          groups.forEach((g, k) => {
            g.lr = base[k]!.lr;
            g.eps = base[k]!.eps;
          });
        }
      },
    };
  };
}

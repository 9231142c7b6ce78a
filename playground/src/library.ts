/**
 * Everything the playground takes from descent, in one place: the race's contestants and their
 * palette, the registry's option specs, the surfaces, the race's lr sweep and MNIST task, and
 * the kernel switch and thread count. The rest of the playground reads only this module, so a change in the
 * library's layout is one edit here.
 */
import { type OptionSpec } from '../../src/optim/registry.js';
import type { OptimizerLike as WrappableOptimizer } from '../../src/optim/wrapper.js';
import { surfaces, getSurface, quadraticBowl, type Surface } from '../../src/surfaces/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';
import { kernelBackend } from '../../src/wasm/backend.js';
import { preloadKernels } from '../../src/wasm/loader.js';
import { threads } from '../../src/wasm/threads.js';
import { startThreads } from '../../src/wasm/pool.js';
import { radamScalars, lambTrustRatio, larsTrustRatio } from '../../src/optim/kernels/scalars.js';
import { decodeSafetensors, type SafetensorsFile } from '../../src/io/safetensors.js';
import { DataLoader } from '../../src/data/dataloader.js';
import { TensorDataset } from '../../src/data/dataset.js';
import { crossEntropy } from '../../src/nn/functional.js';
import { raceEntries, type RaceEntry } from '../../src/race/entries.js';
import { optimizerStyles } from '../../src/race/palette.js';
import { lrGrid, bestPoint, type SweepPoint } from '../../src/race/sweep.js';
import { BUDGETS } from '../../src/race/budget.js';
import { mnistTask, type MnistTask } from '../../src/race/tasks.js';
import { endlessBatches, evaluate } from '../../src/race/harness.js';
import { surfaceTarget } from '../../src/race/shared/surfaces.js';

export { surfaces, getSurface, quadraticBowl, Tensor, Generator, kernelBackend, preloadKernels, threads, startThreads, radamScalars, lambTrustRatio, larsTrustRatio, crossEntropy, lrGrid, bestPoint, surfaceTarget, evaluate, endlessBatches, DataLoader, TensorDataset };
export type { Surface, SweepPoint, MnistTask };

/** What the playground calls on an optimizer: PyTorch's contract. */
export interface SteppingOptimizer {
  readonly paramGroups: ReadonlyArray<Record<string, unknown>>;
  step(closure?: () => number): unknown;
  zeroGrad(): void;
}

/** One option control: which spec it comes from (the optimizer or its wrapper) and the spec. */
export interface Control {
  readonly owner: 'optimizer' | 'wrapper';
  readonly spec: OptionSpec;
}

/** A race contestant as the playground shows it. */
export interface Contestant {
  /** The race's id, in URLs too (`momentum`). */
  readonly id: string;
  readonly label: string;
  /** The registry id of the optimizer that takes the steps. */
  readonly optimizer: string;
  readonly wrapper: string | null;
  /** The race's fixed options of the optimizer (SGD + momentum: μ = 0.9), and the 2-D view's lr. */
  readonly presets: Readonly<Record<string, unknown>>;
  readonly wrapperPresets: Readonly<Record<string, unknown>>;
  readonly summary: string;
  /** The algorithm box(es), wrapper first. */
  readonly algorithm: string;
  readonly controls: readonly Control[];
  /** The race's colour and dash for this contestant (colour-blind-safe). */
  readonly colour: string;
  readonly dash: readonly number[];
  /** The centre of the race's lr sweep on the surfaces. */
  readonly sweepCentre: number;
  /** The centre of the race's lr sweep on networks (PyTorch's default; 0.1 for SGD). */
  readonly networkLr: number;
  /** Builds the optimizer over `params` with the learner's options over the presets. */
  create(params: Tensor[], optimizerOptions: Record<string, unknown>, wrapperOptions: Record<string, unknown>): SteppingOptimizer;
}

/** Options a learner cannot meaningfully change on a 2-D surface (they would break the run). */
const HIDDEN_OPTIONS = new Set(['maximize', 'foreach', 'capturable', 'differentiable', 'fused', 'lineSearchFn', 'maxEval', 'toleranceGrad', 'toleranceChange']);

/**
 * The lr each contestant starts with in the 2-D view, where it differs from the centre of the
 * race's surface sweep: the sweep's centres (PyTorch's defaults, 0.01 for SGD) make plain and
 * momentum SGD leave Rosenbrock's domain in a few steps, and RAdam's first momentum-only steps too.
 */
const VIEW_LR: Readonly<Record<string, number>> = { sgd: 0.001, momentum: 0.001, nesterov: 0.001, adagrad: 0.1, adam: 0.01, adamw: 0.01, nadam: 0.01, radam: 0.002, lamb: 0.01, lars: 0.1, lbfgs: 0.1, lookahead: 0.01, sam: 0.001 };

function buildContestant(entry: RaceEntry): Contestant {
  const { spec, wrapper } = entry;
  const visible = (o: OptionSpec): boolean => !HIDDEN_OPTIONS.has(o.name) && o.type !== 'choice';
  const wrapperNames = new Set(wrapper?.options.map((o) => o.name) ?? []);
  const split = (owner: 'optimizer' | 'wrapper'): Record<string, unknown> =>
    Object.fromEntries(Object.entries(entry.options).filter(([name]) => wrapperNames.has(name) === (owner === 'wrapper')));
  const presets = { ...split('optimizer'), lr: VIEW_LR[entry.id] ?? entry.centerLr.surface };
  const wrapperPresets = split('wrapper');
  const style = optimizerStyles[entry.id];
  return {
    id: entry.id,
    label: entry.label,
    optimizer: spec.id,
    wrapper: wrapper?.id ?? null,
    presets: Object.freeze(presets),
    wrapperPresets: Object.freeze(wrapperPresets),
    summary: wrapper ? `${wrapper.summary} Inner: ${spec.summary}` : spec.summary,
    algorithm: wrapper ? `${wrapper.algorithm}\n\n— inner ${spec.displayName} —\n${spec.algorithm}` : spec.algorithm,
    controls: [...spec.options.filter(visible).map((o): Control => ({ owner: 'optimizer', spec: o })), ...(wrapper?.options.filter(visible).map((o): Control => ({ owner: 'wrapper', spec: o })) ?? [])],
    colour: style?.color ?? '#777777',
    dash: style?.dash ? style.dash.split(' ').map(Number) : [],
    sweepCentre: entry.centerLr.surface,
    networkLr: entry.centerLr.network,
    create(params, optimizerOptions, wrapperOptions) {
      const inner = spec.create(params, { ...presets, ...optimizerOptions });
      if (wrapper === null) return inner as unknown as SteppingOptimizer;
      return wrapper.create(inner as unknown as WrappableOptimizer, { ...wrapperPresets, ...wrapperOptions }) as unknown as SteppingOptimizer;
    },
  };
}

/** The race's contestants that take a dense gradient, in the lecture's order. */
export const contestants: readonly Contestant[] = raceEntries().filter((e) => e.gradients !== 'sparse').map(buildContestant);

export function findContestant(id: string): Contestant | undefined {
  return contestants.find((c) => c.id === id);
}

/** The default value of a control for a contestant: its preset, else PyTorch's default. */
export function defaultValue(contestant: Contestant, control: Control): unknown {
  const presets = control.owner === 'optimizer' ? contestant.presets : contestant.wrapperPresets;
  return control.spec.name in presets ? presets[control.spec.name] : control.spec.default;
}

// ---------------------------------------------------------------------------------------------
// The MNIST mini-race: the race's quick MNIST task, from the digits the build cuts for the page

/** The race budget whose MNIST task (digits, MLP) the page trains. */
export const MNIST_BUDGET = BUDGETS.quick;
/** The race budget whose surface sweep (lr factors, steps) the "fair" button runs. */
export const SWEEP_BUDGET = BUDGETS.default;

/**
 * The file the build writes (vite.config.ts): the rows of the bundled digits' seeded split that
 * the quick task reads (its train and validation rows, then its test rows), 28 × 28 uint8.
 */
export const DIGITS_FILE = 'digits.safetensors';

/** The race's quick MNIST task over the digits file's bytes. */
/** A U8 array of the digits file with the expected rank, or an error naming it. */
function digitsArray(file: SafetensorsFile, name: string, rank: number): { shape: readonly number[]; data: Uint8Array } {
  const tensor = file.tensors.get(name);
  if (tensor === undefined || tensor.dtype !== 'U8' || tensor.shape.length !== rank) throw new Error(`${DIGITS_FILE}: expected a ${rank}-d U8 array '${name}'`);
  return { shape: tensor.shape, data: tensor.data as Uint8Array };
}

export function mnistTaskFrom(bytes: Uint8Array): MnistTask {
  const file = decodeSafetensors(bytes, DIGITS_FILE);
  const split = (name: 'train' | 'test') => {
    const pixels = digitsArray(file, `${name}_pixels`, 2);
    const labels = digitsArray(file, `${name}_labels`, 1);
    const [rows, width] = pixels.shape as [number, number];
    return {
      x: new Tensor(Float32Array.from(pixels.data, (level) => level / 255), [rows, width]),
      y: new Tensor(Float32Array.from(labels.data), [rows]),
      indices: Int32Array.from({ length: rows }, (_, k) => k),
    };
  };
  const digits = { train: split('train'), test: split('test') };
  const datasets = {
    mnist: () => digits,
    spam: (): never => {
      throw new Error('the playground ships no SpamAssassin data');
    },
  };
  return mnistTask(datasets, MNIST_BUDGET.mnist);
}

/**
 * Everything the playground takes from descent, in one place: the contestants (registry specs
 * configured as the race configures them), their colours, the surfaces, and the kernel switch.
 * The rest of the playground reads only this module, so a change in the library's layout is
 * one edit here.
 */
import { getOptimizerSpec, getWrapperSpec, type OptionSpec } from '../../src/optim/registry.js';
import type { OptimizerLike as WrappableOptimizer } from '../../src/optim/wrapper.js';
import { surfaces, getSurface, type Surface } from '../../src/surfaces/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';
import { kernelBackend, setKernelBackend } from '../../src/wasm/backend.js';
import { preloadKernels } from '../../src/wasm/loader.js';
import { radamScalars, lambTrustRatio, larsTrustRatio } from '../../src/optim/kernels/scalars.js';
import { parseSafetensors, requireArray } from '../../src/data/safetensors.js';
import { Linear, ReLU, Sequential, type Module } from '../../src/nn/index.js';
import { crossEntropy } from '../../src/nn/functional.js';
import { noGrad } from '../../src/autograd/engine.js';

export { surfaces, getSurface, Tensor, Generator, kernelBackend, setKernelBackend, preloadKernels, radamScalars, lambTrustRatio, larsTrustRatio, crossEntropy, noGrad };
export type { Surface, OptionSpec, Module };

/** What the playground calls on an optimizer: PyTorch's contract plus the live state map. */
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

/** A contestant: a registry optimizer with the race's presets, optionally wrapped. */
export interface Contestant {
  /** The id in URLs and the race (`momentum`). */
  readonly id: string;
  readonly label: string;
  /** The registry id of the optimizer that takes the steps. */
  readonly optimizer: string;
  readonly wrapper: string | null;
  /** Options that make this contestant what it is (SGD + momentum: μ = 0.9). */
  readonly presets: Readonly<Record<string, unknown>>;
  readonly wrapperPresets: Readonly<Record<string, unknown>>;
  readonly summary: string;
  /** The algorithm box(es), wrapper first. */
  readonly algorithm: string;
  readonly controls: readonly Control[];
  /** A colour-blind-safe colour, fixed per contestant. */
  readonly colour: string;
}

/**
 * Colours from Paul Tol's colour-blind-safe schemes (bright, muted and light), one per
 * contestant in lecture order, so a contestant keeps its colour whichever others are shown.
 */
const PALETTE: Readonly<Record<string, string>> = {
  sgd: '#4477AA',
  momentum: '#EE6677',
  nesterov: '#AA3377',
  adagrad: '#228833',
  rmsprop: '#CCBB44',
  adadelta: '#999933',
  adam: '#66CCEE',
  adamw: '#332288',
  adamax: '#88CCEE',
  nadam: '#44AA99',
  radam: '#117733',
  lamb: '#882255',
  lars: '#DDCC77',
  lbfgs: '#BBBBBB',
  lookahead: '#EE8866',
  sam: '#CC6677',
};

/** Options a learner cannot meaningfully change on a 2-D surface (they would break the run). */
const HIDDEN_OPTIONS = new Set(['maximize', 'foreach', 'capturable', 'differentiable', 'fused', 'lineSearchFn', 'maxEval', 'toleranceGrad', 'toleranceChange']);

interface ContestantDefinition {
  id: string;
  label: string;
  optimizer: string;
  presets?: Record<string, unknown>;
  wrapper?: string;
  wrapperPresets?: Record<string, unknown>;
}

/** The race's contestants that take a dense gradient, in the lecture's order. */
const DEFINITIONS: readonly ContestantDefinition[] = [
  { id: 'sgd', label: 'SGD', optimizer: 'sgd', presets: { lr: 0.001 } },
  { id: 'momentum', label: 'SGD + momentum', optimizer: 'sgd', presets: { lr: 0.001, momentum: 0.9 } },
  { id: 'nesterov', label: 'SGD + Nesterov', optimizer: 'sgd', presets: { lr: 0.001, momentum: 0.9, nesterov: true } },
  { id: 'adagrad', label: 'Adagrad', optimizer: 'adagrad', presets: { lr: 0.1 } },
  { id: 'rmsprop', label: 'RMSprop', optimizer: 'rmsprop' },
  { id: 'adadelta', label: 'Adadelta', optimizer: 'adadelta' },
  { id: 'adam', label: 'Adam', optimizer: 'adam', presets: { lr: 0.01 } },
  { id: 'adamw', label: 'AdamW', optimizer: 'adamw', presets: { lr: 0.01 } },
  { id: 'adamax', label: 'Adamax', optimizer: 'adamax' },
  { id: 'nadam', label: 'NAdam', optimizer: 'nadam', presets: { lr: 0.01 } },
  { id: 'radam', label: 'RAdam', optimizer: 'radam', presets: { lr: 0.002 } },
  { id: 'lamb', label: 'LAMB', optimizer: 'lamb', presets: { lr: 0.01 } },
  { id: 'lars', label: 'LARS (μ = 0.9)', optimizer: 'lars', presets: { lr: 0.1, momentum: 0.9 } },
  { id: 'lbfgs', label: 'L-BFGS (1 iteration/step)', optimizer: 'lbfgs', presets: { lr: 0.1, maxIter: 1, historySize: 10 } },
  { id: 'lookahead', label: 'Lookahead (Adam)', optimizer: 'adam', presets: { lr: 0.01 }, wrapper: 'lookahead', wrapperPresets: { k: 6, alpha: 0.5 } },
  { id: 'sam', label: 'SAM (SGD + momentum)', optimizer: 'sgd', presets: { lr: 0.001, momentum: 0.9 }, wrapper: 'sam', wrapperPresets: { rho: 0.05 } },
];

function buildContestant(d: ContestantDefinition): Contestant {
  const spec = getOptimizerSpec(d.optimizer);
  const wrapper = d.wrapper === undefined ? null : getWrapperSpec(d.wrapper);
  const visible = (o: OptionSpec): boolean => !HIDDEN_OPTIONS.has(o.name) && o.type !== 'choice';
  const controls: Control[] = [
    ...spec.options.filter(visible).map((o): Control => ({ owner: 'optimizer', spec: o })),
    ...(wrapper?.options.filter(visible).map((o): Control => ({ owner: 'wrapper', spec: o })) ?? []),
  ];
  return {
    id: d.id,
    label: d.label,
    optimizer: spec.id,
    wrapper: wrapper?.id ?? null,
    presets: Object.freeze({ ...d.presets }),
    wrapperPresets: Object.freeze({ ...d.wrapperPresets }),
    summary: wrapper ? `${wrapper.summary} Inner: ${spec.summary}` : spec.summary,
    algorithm: wrapper ? `${wrapper.algorithm}\n\n— inner ${spec.displayName} —\n${spec.algorithm}` : spec.algorithm,
    controls,
    colour: PALETTE[d.id] ?? '#777777',
  };
}

export const contestants: readonly Contestant[] = DEFINITIONS.map(buildContestant);

export function findContestant(id: string): Contestant | undefined {
  return contestants.find((c) => c.id === id);
}

/** The default value of a control for a contestant: its preset, else PyTorch's default. */
export function defaultValue(contestant: Contestant, control: Control): unknown {
  const presets = control.owner === 'optimizer' ? contestant.presets : contestant.wrapperPresets;
  return control.spec.name in presets ? presets[control.spec.name] : control.spec.default;
}

/** Builds the contestant's optimizer over `params` with the option values given (by control). */
export function createOptimizer(contestant: Contestant, params: Tensor[], optimizerOptions: Record<string, unknown>, wrapperOptions: Record<string, unknown>): SteppingOptimizer {
  const inner = getOptimizerSpec(contestant.optimizer).create(params, { ...contestant.presets, ...optimizerOptions });
  if (contestant.wrapper === null) return inner as unknown as SteppingOptimizer;
  return getWrapperSpec(contestant.wrapper).create(inner as unknown as WrappableOptimizer, { ...contestant.wrapperPresets, ...wrapperOptions }) as unknown as SteppingOptimizer;
}

// ---------------------------------------------------------------------------------------------
// The MNIST mini-race: the race's MLP on a compact subset of the bundled digits


/** The file the build writes (vite.config.ts): the first digits of the bundled set at 14 × 14 px. */
export const DIGITS_FILE = 'digits-14px.safetensors';
export const DIGITS = { train: 1200, test: 300, side: 14 } as const;
export const MNIST_HIDDEN = 32;

export interface Digits {
  readonly train: { readonly x: Tensor; readonly y: Tensor };
  readonly test: { readonly x: Tensor; readonly y: Tensor };
}

/** Splits the digits file into train and test tensors (pixels scaled to [0, 1]). */
export function readDigits(bytes: Uint8Array): Digits {
  const label = DIGITS_FILE;
  const file = parseSafetensors(bytes, label);
  const pixels = requireArray(file, 'pixels', 'U8', 2, label);
  const labels = requireArray(file, 'labels', 'U8', 1, label);
  const width = pixels.shape[1]!;
  const count = DIGITS.train + DIGITS.test;
  if (pixels.shape[0]! < count || width !== DIGITS.side * DIGITS.side) throw new Error(`${label}: expected at least ${count} digits of ${DIGITS.side}×${DIGITS.side} px, got [${pixels.shape.join(', ')}]`);
  const part = (first: number, n: number): { x: Tensor; y: Tensor } => ({
    x: new Tensor(Float32Array.from(pixels.data.subarray(first * width, (first + n) * width), (v) => v / 255), [n, width]),
    y: new Tensor(Float32Array.from(labels.data.subarray(first, first + n)), [n]),
  });
  return { train: part(0, DIGITS.train), test: part(DIGITS.train, DIGITS.test) };
}

/** The race's MNIST MLP (ReLU hidden layer), its weights fixed by the seed. */
export function mnistModel(seed: number): Module {
  const generator = new Generator(seed);
  const inputs = DIGITS.side * DIGITS.side;
  return new Sequential(new Linear(inputs, MNIST_HIDDEN, { generator }), new ReLU(), new Linear(MNIST_HIDDEN, 10, { generator }));
}

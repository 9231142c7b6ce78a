/**
 * Weight initialisation, PyTorch's `torch.nn.init`, keeping its trailing-underscore names
 * (`kaimingUniform_` for `kaiming_uniform_`): each function overwrites the tensor's values
 * in place and returns it. Values are written straight into storage, so nothing is recorded
 * in the autograd graph. Every draw comes from `generator` (the default generator if omitted),
 * in row-major order.
 *
 * Fans follow PyTorch: for a weight of shape [out, in, k₁, k₂, …],
 *   fanIn = in·k₁·k₂·…,   fanOut = out·k₁·k₂·…
 */
import type { Tensor } from '../tensor/tensor.js';
import { shapeString } from '../tensor/shape.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';

export interface GeneratorOption {
  generator?: Generator;
}

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fanIn' | 'fanOut';

function checkFinite(value: unknown, name: string, op: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${op}: ${name} must be a finite number, got ${String(value)}`);
  return value;
}

/**
 * The gain that keeps activations' variance steady through `nonlinearity` (PyTorch's
 * `calculate_gain`): 1 for linear layers and sigmoid, 5/3 for tanh, √2 for ReLU,
 * √(2/(1+slope²)) for leaky ReLU (slope `param`, default 0.01), 3/4 for SELU.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param === undefined ? 0.01 : checkFinite(param, 'the negative slope', 'calculateGain');
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)} (expected linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, leaky_relu or selu)`);
  }
}

/** fanIn and fanOut of a weight of rank ≥ 2 (see the file header). */
export function computeFans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.shape.length < 2) {
    throw new RangeError(`init: fan in and fan out need a tensor with at least 2 dimensions, got shape ${shapeString(t.shape)}`);
  }
  const receptiveField = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: t.shape[1]! * receptiveField, fanOut: t.shape[0]! * receptiveField };
}

/** Fills with draws from U(a, b). */
export function uniform_(t: Tensor, { a = 0, b = 1, generator = defaultGenerator }: { a?: number; b?: number } & GeneratorOption = {}): Tensor {
  checkFinite(a, 'a', 'uniform_');
  checkFinite(b, 'b', 'uniform_');
  if (a > b) throw new RangeError(`uniform_: a (${a}) must not exceed b (${b})`);
  for (let i = 0; i < t.data.length; i++) t.data[i] = a + (b - a) * generator.uniform();
  return t;
}

/** Fills with draws from N(mean, std²). */
export function normal_(t: Tensor, { mean = 0, std = 1, generator = defaultGenerator }: { mean?: number; std?: number } & GeneratorOption = {}): Tensor {
  checkFinite(mean, 'mean', 'normal_');
  if (checkFinite(std, 'std', 'normal_') < 0) throw new RangeError(`normal_: std must be non-negative, got ${std}`);
  for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * generator.normal();
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  if (typeof value !== 'number') throw new TypeError(`constant_: value must be a number, got ${typeof value}`);
  t.data.fill(value);
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Glorot & Bengio (2010): U(−bound, bound) with bound = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform_(t: Tensor, { gain = 1, generator }: { gain?: number } & GeneratorOption = {}): Tensor {
  const { fanIn, fanOut } = computeFans(t);
  const std = checkFinite(gain, 'gain', 'xavierUniform_') * Math.sqrt(2 / (fanIn + fanOut));
  const bound = Math.sqrt(3) * std;
  if (t.data.length === 0) return t;
  return uniform_(t, { a: -bound, b: bound, generator });
}

/** Glorot & Bengio (2010): N(0, std²) with std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal_(t: Tensor, { gain = 1, generator }: { gain?: number } & GeneratorOption = {}): Tensor {
  const { fanIn, fanOut } = computeFans(t);
  const std = checkFinite(gain, 'gain', 'xavierNormal_') * Math.sqrt(2 / (fanIn + fanOut));
  if (t.data.length === 0) return t;
  return normal_(t, { mean: 0, std, generator });
}

export interface KaimingOptions extends GeneratorOption {
  /** Negative slope of the leaky ReLU that follows (used when nonlinearity is 'leaky_relu'). */
  a?: number;
  /** 'fanIn' keeps the forward pass's variance, 'fanOut' the backward pass's. */
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' }: KaimingOptions, op: string): number {
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new RangeError(`${op}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const fans = computeFans(t);
  const gain = calculateGain(nonlinearity, checkFinite(a, 'a', op));
  return gain / Math.sqrt(mode === 'fanIn' ? fans.fanIn : fans.fanOut);
}

/** He et al. (2015): U(−bound, bound) with bound = gain·√(3/fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options, 'kaimingUniform_');
  if (t.data.length === 0) return t; // a zero fan makes the bound infinite; there is nothing to fill
  return uniform_(t, { a: -bound, b: bound, generator: options.generator });
}

/** He et al. (2015): N(0, std²) with std = gain/√fan. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd(t, options, 'kaimingNormal_');
  if (t.data.length === 0) return t;
  return normal_(t, { mean: 0, std, generator: options.generator });
}

/**
 * Convolution and pooling layers over NCHW input (PyTorch's `nn.Conv2d`, `nn.MaxPool2d`,
 * `nn.AvgPool2d`); the computation is in `src/tensor/conv.ts`.
 *
 * Conv2d's initialisation is PyTorch's: W by kaiming_uniform with a = √5 over
 * fanIn = (in/groups)·kH·kW, i.e. U(−1/√fanIn, 1/√fanIn), and b from the same interval.
 */
import { Tensor, zeros, type DType } from '../tensor/tensor.js';
import { shapeString } from '../tensor/shape.js';
import { conv2d, maxPool2d, avgPool2d, pair, type Size2 } from '../tensor/conv.js';
import type { Generator } from '../tensor/random.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { kaimingUniform_, uniform_ } from './init.js';

export interface Conv2dLayerOptions {
  stride?: Size2;
  /** Zero padding per side, or 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  padding?: Size2 | 'valid' | 'same';
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  generator?: Generator;
  dtype?: DType;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, generator, dtype = 'float32' }: Conv2dLayerOptions = {}) {
    super();
    const op = 'Conv2d';
    for (const [value, name] of [[inChannels, 'inChannels'], [outChannels, 'outChannels'], [groups, 'groups']] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${op}: ${name} must be a positive integer, got ${String(value)}`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) throw new RangeError(`${op}: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${groups}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'kernelSize', op, 1);
    this.stride = pair(stride, 'stride', op, 1);
    this.dilation = pair(dilation, 'dilation', op, 1);
    this.groups = groups;
    this.padding = samePadding(padding, this.kernelSize, this.stride, this.dilation);
    this.weight = new Parameter(kaimingUniform_(zeros([outChannels, inChannels / groups, ...this.kernelSize], { dtype }), { a: Math.sqrt(5), generator }));
    if (bias) {
      const fanIn = (inChannels / groups) * this.kernelSize[0] * this.kernelSize[1];
      const bound = 1 / Math.sqrt(fanIn);
      this.bias = new Parameter(uniform_(zeros([outChannels], { dtype }), { a: -bound, b: bound, generator }));
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.shape.length !== 4 || x.shape[1] !== this.inChannels) {
      throw new RangeError(`Conv2d(${this.inChannels} → ${this.outChannels}): expected input [N, ${this.inChannels}, H, W], got ${x instanceof Tensor ? shapeString(x.shape) : typeof x}`);
    }
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=[${this.stride}], padding=[${this.padding}]${this.dilation.some((d) => d !== 1) ? `, dilation=[${this.dilation}]` : ''}${this.groups !== 1 ? `, groups=${this.groups}` : ''}, bias=${this.bias !== null}`;
  }
}

/** Numeric padding per side; 'same' needs stride 1 and an even total padding on each axis. */
function samePadding(padding: Size2 | 'valid' | 'same', kernel: [number, number], stride: [number, number], dilation: [number, number]): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding !== 'same') return pair(padding, 'padding', 'Conv2d', 0);
  if (stride[0] !== 1 || stride[1] !== 1) throw new RangeError("Conv2d: padding 'same' needs stride 1");
  const total = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
  if (total.some((t) => t % 2 !== 0)) throw new RangeError(`Conv2d: padding 'same' with kernel [${kernel}] and dilation [${dilation}] would need uneven padding; pad explicitly`);
  return [total[0]! / 2, total[1]! / 2];
}

export interface PoolLayerOptions {
  /** Default: the kernel size. */
  stride?: Size2 | null;
  padding?: Size2;
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Size2, readonly options: PoolLayerOptions & { dilation?: Size2 } = {}) {
    super();
    pair(kernelSize, 'kernelSize', 'MaxPool2d', 1);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}`;
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Size2, readonly options: PoolLayerOptions & { countIncludePad?: boolean } = {}) {
    super();
    pair(kernelSize, 'kernelSize', 'AvgPool2d', 1);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}`;
  }
}

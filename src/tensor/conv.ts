/**
 * 2-D convolution and pooling over NCHW tensors (PyTorch's `F.conv2d`, `F.max_pool2d`,
 * `F.avg_pool2d`).
 *
 * Convolution is im2col over the matrix product: for each group, the input patches of the whole
 * batch are laid out as the columns of one [Cg·kH·kW, N·Ho·Wo] matrix, and the output is one
 * product per group (large enough for the WebAssembly SIMD kernel):
 *   y[g] = W[g] · cols[g]                  W[g]: [Og, Cg·kH·kW],  y[g]: [Og, N·Ho·Wo]
 *   dW[g] = dy[g] · cols[g]ᵀ               (columns kept from the forward pass)
 *   dcols = W[g]ᵀ · dy[g]   →  dx by scattering dcols back over the patches (col2im)
 *   db    = Σ over n, Ho, Wo of dy
 * with y[g] moved to and from NCHW by one copy each way.
 * Pooling walks the same windows; max pooling sends the gradient to the first maximum of each
 * window, as PyTorch does.
 */
import { Tensor, allocate, type FloatArray } from './tensor.js';
import { record } from '../autograd/engine.js';
import { shapeString } from './shape.js';
import { product } from './linalg.js';

/** A size given once for both spatial dims, or as [height, width]. */
export type Size2 = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  groups?: number;
}

export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2 | null;
  padding?: Size2;
}

export interface MaxPool2dOptions extends Pool2dOptions {
  dilation?: Size2;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** Both spatial values of a size option, checked to be integers of at least `min`. */
export function pair(value: Size2, name: string, op: string, min: number): [number, number] {
  const both = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(both) || both.length !== 2 || !both.every((v) => Number.isInteger(v) && v >= min)) {
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [both[0]!, both[1]!];
}

/** The geometry of one sliding window over an [H, W] plane. */
interface Window {
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly ph: number; readonly pw: number;
  readonly dh: number; readonly dw: number;
  readonly h: number; readonly w: number;
  readonly oh: number; readonly ow: number;
}

function window(op: string, h: number, w: number, kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number]): Window {
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [ph, pw] = padding;
  const [dh, dw] = dilation;
  const spanH = dh * (kh - 1) + 1;
  const spanW = dw * (kw - 1) + 1;
  if (spanH > h + 2 * ph || spanW > w + 2 * pw) {
    throw new RangeError(`${op}: kernel ${kh}×${kw} (dilation ${dh}×${dw}) is larger than the padded input ${h + 2 * ph}×${w + 2 * pw}`);
  }
  return { kh, kw, sh, sw, ph, pw, dh, dw, h, w, oh: Math.floor((h + 2 * ph - spanH) / sh) + 1, ow: Math.floor((w + 2 * pw - spanW) / sw) + 1 };
}

function checkInput(x: Tensor, op: string): [number, number, number, number] {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
  if (x.shape.length !== 4) throw new RangeError(`${op}: input must be 4-D [N, C, H, W], got ${shapeString(x.shape)}`);
  return x.shape as unknown as [number, number, number, number];
}

/**
 * cols[(c·kH + i)·kW + j, column + oy·Wo + ox] = x[c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]
 * (0 outside), for the `channels` planes of one sample of x starting at `xOff`; rows of cols are
 * `rowLength` apart, so every sample of a batch fills its own band of columns.
 */
function im2col(x: FloatArray, xOff: number, channels: number, g: Window, cols: FloatArray, rowLength: number, column: number): void {
  const plane = g.h * g.w;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const base = xOff + c * plane;
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        const out = row * rowLength + column;
        for (let oy = 0; oy < g.oh; oy++) {
          const iy = oy * g.sh - g.ph + i * g.dh;
          const at = out + oy * g.ow;
          if (iy < 0 || iy >= g.h) {
            cols.fill(0, at, at + g.ow);
            continue;
          }
          const rowBase = base + iy * g.w;
          for (let ox = 0; ox < g.ow; ox++) {
            const ix = ox * g.sw - g.pw + j * g.dw;
            cols[at + ox] = ix >= 0 && ix < g.w ? x[rowBase + ix]! : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of `im2col`: dx[c, iy, ix] += every dcols entry that was read from it. */
function col2im(dcols: FloatArray, channels: number, g: Window, dx: FloatArray, dxOff: number, rowLength: number, column: number): void {
  const plane = g.h * g.w;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const base = dxOff + c * plane;
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        const from = row * rowLength + column;
        for (let oy = 0; oy < g.oh; oy++) {
          const iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          const rowBase = base + iy * g.w;
          const at = from + oy * g.ow;
          for (let ox = 0; ox < g.ow; ox++) {
            const ix = ox * g.sw - g.pw + j * g.dw;
            if (ix >= 0 && ix < g.w) dx[rowBase + ix]! += dcols[at + ox]!;
          }
        }
      }
    }
  }
}

/**
 * Moves `count` channels of every sample between NCHW (`nchw`, channel `first` on) and the
 * channel-major [count, N·P] layout of the products (`major`), in the direction `toMajor`.
 */
function regroup(nchw: FloatArray, major: FloatArray, samples: number, channels: number, first: number, count: number, positions: number, toMajor: boolean): void {
  const rowLength = samples * positions;
  for (let s = 0; s < samples; s++) {
    for (let o = 0; o < count; o++) {
      const a = (s * channels + first + o) * positions;
      const b = o * rowLength + s * positions;
      if (toMajor) major.set(nchw.subarray(a, a + positions), b);
      else nchw.set(major.subarray(b, b + positions), a);
    }
  }
}

/**
 * y = W ⋆ x + b over NCHW input x: [N, C, H, W], weight W: [O, C/groups, kH, kW], bias b: [O]
 * or null. Output [N, O, Ho, Wo] with Ho = ⌊(H + 2·ph − dh·(kH − 1) − 1) / sh⌋ + 1.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, { stride = 1, padding = 0, dilation = 1, groups = 1 }: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const [n, c, h, w] = checkInput(x, op);
  if (!(weight instanceof Tensor) || weight.shape.length !== 4) throw new RangeError(`${op}: weight must be 4-D [out, in/groups, kH, kW], got ${weight instanceof Tensor ? shapeString(weight.shape) : typeof weight}`);
  const [outChannels, groupChannels, kh, kw] = weight.shape as unknown as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${String(groups)}`);
  if (c % groups !== 0 || outChannels % groups !== 0) throw new RangeError(`${op}: ${c} input and ${outChannels} output channels must both be divisible by groups = ${groups}`);
  if (groupChannels * groups !== c) throw new RangeError(`${op}: input has ${c} channels, but the weight ${shapeString(weight.shape)} with groups = ${groups} expects ${groupChannels * groups}`);
  if (bias !== null && (!(bias instanceof Tensor) || bias.shape.length !== 1 || bias.shape[0] !== outChannels)) {
    throw new RangeError(`${op}: bias must have shape [${outChannels}], got ${bias instanceof Tensor ? shapeString(bias.shape) : typeof bias}`);
  }
  const g = window(op, h, w, [kh, kw], pair(stride, 'stride', op, 1), pair(padding, 'padding', op, 0), pair(dilation, 'dilation', op, 1));
  const dtype = [x, weight, bias].some((t) => t?.dtype === 'float64') ? 'float64' : 'float32';
  const outGroup = outChannels / groups;
  const depth = groupChannels * kh * kw;
  const positions = g.oh * g.ow;
  const columns = n * positions;
  const colSize = depth * columns;
  const inPlane = h * w;
  const keepCols = weight.requiresGrad;
  const cols = allocate(keepCols ? groups * colSize : colSize, dtype);
  const major = allocate(outGroup * columns, dtype);
  const out = allocate(n * outChannels * positions, dtype);
  for (let k = 0; k < groups; k++) {
    const colOff = keepCols ? k * colSize : 0;
    for (let s = 0; s < n; s++) im2col(x.data, (s * c + k * groupChannels) * inPlane, groupChannels, g, colOff === 0 ? cols : cols.subarray(colOff), columns, s * positions);
    if (bias === null) major.fill(0);
    else for (let o = 0; o < outGroup; o++) major.fill(bias.data[k * outGroup + o]!, o * columns, (o + 1) * columns);
    product(weight.data, k * outGroup * depth, cols, colOff, major, 0, outGroup, depth, columns, false, false);
    regroup(out, major, n, outChannels, k * outGroup, outGroup, positions, false);
  }
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return record(new Tensor(out, [n, outChannels, g.oh, g.ow]), op, inputs, (dy) => {
    const dx = x.requiresGrad ? allocate(x.data.length, x.dtype) : null;
    const dw = weight.requiresGrad ? allocate(weight.data.length, weight.dtype) : null;
    const dyMajor = allocate(outGroup * columns, dtype);
    const dcols = dx === null ? null : allocate(colSize, dtype);
    for (let k = 0; k < groups; k++) {
      regroup(dy.data, dyMajor, n, outChannels, k * outGroup, outGroup, positions, true);
      if (dw !== null) product(dyMajor, 0, cols, k * colSize, dw, k * outGroup * depth, outGroup, columns, depth, false, true);
      if (dx !== null && dcols !== null) {
        dcols.fill(0);
        product(weight.data, k * outGroup * depth, dyMajor, 0, dcols, 0, depth, outGroup, columns, true, false);
        for (let s = 0; s < n; s++) col2im(dcols, groupChannels, g, dx, (s * c + k * groupChannels) * inPlane, columns, s * positions);
      }
    }
    let db: Tensor | null = null;
    if (bias !== null && bias.requiresGrad) {
      const sums = new Float64Array(outChannels);
      for (let s = 0; s < n; s++) {
        for (let o = 0; o < outChannels; o++) {
          const from = (s * outChannels + o) * positions;
          let total = 0;
          for (let p = 0; p < positions; p++) total += dy.data[from + p]!;
          sums[o]! += total;
        }
      }
      const d = allocate(outChannels, bias.dtype);
      d.set(sums);
      db = new Tensor(d, bias.shape);
    }
    const grads = [dx === null ? null : new Tensor(dx, x.shape), dw === null ? null : new Tensor(dw, weight.shape)];
    return bias === null ? grads : [...grads, db];
  });
}

function poolWindow(op: string, x: Tensor, kernelSize: Size2, stride: Size2 | null | undefined, padding: Size2, dilation: Size2): Window {
  const [, , h, w] = checkInput(x, op);
  const kernel = pair(kernelSize, 'kernelSize', op, 1);
  const pad = pair(padding, 'padding', op, 0);
  if (pad[0] > kernel[0] / 2 || pad[1] > kernel[1] / 2) {
    throw new RangeError(`${op}: padding ${pad.join('×')} must be at most half the kernel ${kernel.join('×')}`);
  }
  return window(op, h, w, kernel, pair(stride ?? kernelSize, 'stride', op, 1), pad, pair(dilation, 'dilation', op, 1));
}

/** The maximum of each window (padding never wins); the gradient goes to the first maximum. */
export function maxPool2d(x: Tensor, kernelSize: Size2, { stride = null, padding = 0, dilation = 1 }: MaxPool2dOptions = {}): Tensor {
  const op = 'maxPool2d';
  const g = poolWindow(op, x, kernelSize, stride, padding, dilation);
  const [n, c] = x.shape as unknown as [number, number];
  const planes = n * c;
  const positions = g.oh * g.ow;
  const out = allocate(planes * positions, x.dtype);
  const argmax = new Int32Array(planes * positions);
  for (let q = 0; q < planes; q++) {
    const base = q * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let best = -Infinity;
        let where = -1;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.sw - g.pw + j * g.dw;
            if (ix < 0 || ix >= g.w) continue;
            const v = x.data[base + iy * g.w + ix]!;
            // NaN propagates, as in PyTorch: once seen it is the window's maximum.
            if (where < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              where = base + iy * g.w + ix;
            }
          }
        }
        const at = q * positions + oy * g.ow + ox;
        out[at] = best;
        argmax[at] = where;
      }
    }
  }
  return record(new Tensor(out, [n, c, g.oh, g.ow]), op, [x], (dy) => {
    const d = allocate(x.data.length, x.dtype);
    for (let at = 0; at < argmax.length; at++) d[argmax[at]!]! += dy.data[at]!;
    return [new Tensor(d, x.shape)];
  });
}

/** The mean of each window; the divisor counts the zero padding unless `countIncludePad` is false. */
export function avgPool2d(x: Tensor, kernelSize: Size2, { stride = null, padding = 0, countIncludePad = true }: AvgPool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  const g = poolWindow(op, x, kernelSize, stride, padding, 1);
  const [n, c] = x.shape as unknown as [number, number];
  const planes = n * c;
  const positions = g.oh * g.ow;
  // Each window's divisor: kH·kW with the padding counted; otherwise only the cells inside the input.
  const divisors = new Float64Array(positions);
  for (let oy = 0; oy < g.oh; oy++) {
    for (let ox = 0; ox < g.ow; ox++) {
      const y0 = oy * g.sh - g.ph;
      const x0 = ox * g.sw - g.pw;
      const padded = (Math.min(y0 + g.kh, g.h + g.ph) - y0) * (Math.min(x0 + g.kw, g.w + g.pw) - x0);
      const inside = (Math.min(y0 + g.kh, g.h) - Math.max(y0, 0)) * (Math.min(x0 + g.kw, g.w) - Math.max(x0, 0));
      divisors[oy * g.ow + ox] = countIncludePad ? padded : inside;
    }
  }
  const visit = (q: number, oy: number, ox: number, cell: (index: number) => void): void => {
    const base = q * g.h * g.w;
    for (let iy = Math.max(oy * g.sh - g.ph, 0); iy < Math.min(oy * g.sh - g.ph + g.kh, g.h); iy++) {
      for (let ix = Math.max(ox * g.sw - g.pw, 0); ix < Math.min(ox * g.sw - g.pw + g.kw, g.w); ix++) cell(base + iy * g.w + ix);
    }
  };
  const out = allocate(planes * positions, x.dtype);
  for (let q = 0; q < planes; q++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let total = 0;
        visit(q, oy, ox, (i) => (total += x.data[i]!));
        out[q * positions + oy * g.ow + ox] = total / divisors[oy * g.ow + ox]!;
      }
    }
  }
  return record(new Tensor(out, [n, c, g.oh, g.ow]), op, [x], (dy) => {
    const d = allocate(x.data.length, x.dtype);
    for (let q = 0; q < planes; q++) {
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          const share = dy.data[q * positions + oy * g.ow + ox]! / divisors[oy * g.ow + ox]!;
          visit(q, oy, ox, (i) => (d[i]! += share));
        }
      }
    }
    return [new Tensor(d, x.shape)];
  });
}

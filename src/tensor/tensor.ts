/**
 * The tensor: a contiguous, row-major typed array with a shape.
 *
 * Storage is float32 by default (float64 exists for gradient checks and references).
 * Every op writes a fresh contiguous result, except `reshape`/`view` and `slice` along
 * dim 0, which share the input's storage as PyTorch's views do. The data array is a plain
 * field so that the fused optimizer path can move a parameter's storage into a
 * `WebAssembly.Memory` (see docs/ARCHITECTURE.md); `gradBuffer`, when set, is where a fresh
 * gradient is written, for the same reason.
 */
import { GraphNode, runBackward, type BackwardOptions } from '../autograd/engine.js';
import { numel, checkShape, sameShape, shapeString, inferShape, type Shape } from './shape.js';
import { defaultGenerator, type Generator } from './random.js';
import { SparseRows, type Gradient } from './sparse.js';
import * as ew from './elementwise.js';
import * as red from './reduce.js';
import * as mv from './movement.js';
import { matmul } from './linalg.js';
import { formatTensor } from './format.js';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;
export type NestedArray = number | readonly NestedArray[];
/** Anything a binary op accepts as its other operand. */
export type TensorLike = Tensor | number;

export interface TensorOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export function allocate(n: number, dtype: DType): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** A flag a tensor raises when its storage or gradient is replaced (see `Tensor.watcher`). */
export interface ChangeFlag {
  changed: boolean;
}

export class Tensor {
  private storage: FloatArray;
  readonly shape: number[];
  requiresGrad: boolean;
  private gradient: Gradient | null = null;
  /** How this tensor was computed, when it is part of a recorded graph. */
  node: GraphNode | null = null;
  /** Keep `.grad` on this non-leaf tensor during backward (PyTorch's `retain_grad()`). */
  retainsGrad = false;
  /** Where a fresh gradient is stored, when the storage is managed elsewhere (fused optimizers). */
  gradBuffer: FloatArray | null = null;
  /**
   * Raised when `data` or `grad` is replaced. A fused optimizer sets it on the params and
   * gradients its arena holds, so that its step looks at them again only when one changed.
   */
  watcher: ChangeFlag | null = null;
  /** Whether an op of the running backward pass wrote this tensor's gradient into `gradBuffer` (see `gradientTarget`). */
  private gradBufferTaken = false;

  constructor(data: FloatArray, shape: Shape, options: { requiresGrad?: boolean } = {}) {
    const checked = checkShape(shape);
    if (data.length !== numel(checked)) {
      throw new RangeError(`Tensor: ${data.length} values do not fill shape ${shapeString(checked)} (${numel(checked)} elements)`);
    }
    this.storage = data;
    this.shape = checked;
    this.requiresGrad = options.requiresGrad ?? false;
  }

  /** Row-major storage; `data.length === numel(shape)`. Replaceable, as PyTorch's `param.data = …`. */
  get data(): FloatArray {
    return this.storage;
  }
  set data(values: FloatArray) {
    this.storage = values;
    if (this.watcher !== null) this.watcher.changed = true;
  }

  /** The accumulated gradient (dense, or row-sparse for a sparse embedding), or null. Assignable, as in PyTorch. */
  get grad(): Gradient | null {
    return this.gradient;
  }
  set grad(value: Gradient | null) {
    if (value !== null) {
      if (!(value instanceof Tensor) && !(value instanceof SparseRows)) {
        throw new TypeError('grad: expected a Tensor, a SparseRows gradient or null');
      }
      if (value.shape !== this.shape && !sameShape(value.shape, this.shape)) {
        throw new RangeError(`grad: assigned gradient has shape ${shapeString(value.shape)}, but the tensor has shape ${shapeString(this.shape)}`);
      }
    }
    this.gradient = value;
    if (this.watcher !== null) this.watcher.changed = true;
    this.gradBufferTaken = false;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }
  numel(): number {
    return this.data.length;
  }
  /** A leaf is a tensor the user made, not the result of a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }
  /** Always false: dense. Lets code tell a dense `.grad` from a row-sparse one. */
  get isSparse(): false {
    return false;
  }

  // ---- reading values ----
  item(): number {
    if (this.data.length !== 1) throw new RangeError(`item: only a one-element tensor can be converted to a number, this one has shape ${shapeString(this.shape)}`);
    return this.data[0]!;
  }
  /** Nested JS arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset]!;
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
  /** A read-only copy-free look at the values, as plain numbers. */
  values(): Readonly<FloatArray> {
    return this.data;
  }
  /** PyTorch's print form, summarized past 1000 values (see format.ts). */
  toString(): string {
    return formatTensor(this);
  }
  /** Node's `console.log` and `util.inspect` show the print form rather than the fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  // ---- autograd ----
  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad.
   * A scalar needs no argument; any other tensor needs the upstream gradient.
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    let seed = gradient;
    if (seed === undefined) {
      if (this.data.length !== 1) {
        throw new Error(`backward: grad can be implicitly created only for scalar outputs; this tensor has shape ${shapeString(this.shape)}, so pass the upstream gradient`);
      }
      seed = new Tensor(allocate(1, this.dtype).fill(1), this.shape);
    }
    runBackward(this, seed, options);
  }

  /**
   * Where a backward op may write a fresh gradient of this tensor, every value of which it then
   * overwrites: `gradBuffer` (the optimizer arena's slot, so `accumulateGrad` has nothing to
   * copy) when the tensor has no gradient yet and no other op of the running backward pass took
   * it (a tensor used twice gets a fresh array for its other uses, and the sum reaches the slot),
   * else a fresh array.
   */
  gradientTarget(): FloatArray {
    const home = this.gradBuffer;
    if (home !== null && !this.gradBufferTaken && this.gradient === null && home.length === this.data.length && dtypeOf(home) === this.dtype) {
      this.gradBufferTaken = true;
      return home;
    }
    return allocate(this.data.length, this.dtype);
  }

  /** Adds `g` into `.grad` (PyTorch's accumulation across backward calls). */
  accumulateGrad(g: Gradient): void {
    this.gradBufferTaken = false;
    const current = this.grad;
    if (g instanceof SparseRows) {
      if (current === null) this.grad = g;
      else if (current instanceof SparseRows) this.grad = current.concat(g);
      else this.addDenseInto(current, g.toDense().data);
      return;
    }
    if (current === null) {
      const home = this.gradBuffer !== null && this.gradBuffer.length === g.data.length ? this.gradBuffer : allocate(g.data.length, this.dtype);
      if (home !== g.data) home.set(g.data);
      this.grad = new Tensor(home, this.shape);
    } else if (current instanceof SparseRows) {
      const dense = current.toDense();
      this.addDenseInto(dense, g.data);
      this.grad = dense;
    } else {
      this.addDenseInto(current, g.data);
    }
  }

  private addDenseInto(target: Tensor, source: FloatArray): void {
    const d = target.data;
    for (let i = 0; i < d.length; i++) d[i]! += source[i]!;
  }

  /** Keeps `.grad` on this intermediate tensor during backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** The same values, cut from the graph (shares storage, as in PyTorch). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Sets `requiresGrad` in place; only leaves can change it. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad; use detach() first');
    this.requiresGrad = flag;
    return this;
  }

  /** A copy with its own storage (recorded, so gradients flow through it). */
  clone(): Tensor {
    return ew.unary(this, 'clone', (x) => x, (g) => g);
  }

  /** Converts storage type (recorded). */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }

  // ---- elementwise ----
  add(other: TensorLike): Tensor { return ew.add(this, other); }
  sub(other: TensorLike): Tensor { return ew.sub(this, other); }
  mul(other: TensorLike): Tensor { return ew.mul(this, other); }
  div(other: TensorLike): Tensor { return ew.div(this, other); }
  pow(exponent: TensorLike): Tensor { return ew.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return ew.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return ew.minimum(this, other); }
  neg(): Tensor { return ew.neg(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  abs(): Tensor { return ew.abs(this); }
  square(): Tensor { return ew.square(this); }
  tanh(): Tensor { return ew.tanh(this); }
  sigmoid(): Tensor { return ew.sigmoid(this); }
  relu(): Tensor { return ew.relu(this); }
  sign(): Tensor { return ew.sign(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ew.clamp(this, min, max); }
  eq(other: TensorLike): Tensor { return ew.eq(this, other); }
  ne(other: TensorLike): Tensor { return ew.ne(this, other); }
  lt(other: TensorLike): Tensor { return ew.lt(this, other); }
  le(other: TensorLike): Tensor { return ew.le(this, other); }
  gt(other: TensorLike): Tensor { return ew.gt(this, other); }
  ge(other: TensorLike): Tensor { return ew.ge(this, other); }

  // ---- reductions ----
  sum(dim?: number | readonly number[], keepdim = false): Tensor { return red.sum(this, dim, keepdim); }
  mean(dim?: number | readonly number[], keepdim = false): Tensor { return red.mean(this, dim, keepdim); }
  var(dim?: number | readonly number[], keepdim = false, correction = 1): Tensor { return red.variance(this, dim, keepdim, correction); }
  std(dim?: number | readonly number[], keepdim = false, correction = 1): Tensor { return red.std(this, dim, keepdim, correction); }
  max(dim?: number, keepdim = false): Tensor { return red.max(this, dim, keepdim); }
  min(dim?: number, keepdim = false): Tensor { return red.min(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return red.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return red.argmin(this, dim, keepdim); }
  norm(p: number = 2, dim?: number | readonly number[], keepdim = false): Tensor { return red.norm(this, p, dim, keepdim); }
  logSumExp(dim: number, keepdim = false): Tensor { return red.logSumExp(this, dim, keepdim); }

  // ---- shape and indexing ----
  reshape(...shape: number[] | [readonly number[]]): Tensor { return mv.reshape(this, flattenShapeArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return mv.reshape(this, flattenShapeArgs(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return mv.flatten(this, startDim, endDim); }
  unsqueeze(dim: number): Tensor { return mv.unsqueeze(this, dim); }
  squeeze(dim?: number): Tensor { return mv.squeeze(this, dim); }
  transpose(dim0 = 0, dim1 = 1): Tensor { return mv.transpose(this, dim0, dim1); }
  /** The transpose of a 2-D tensor. */
  get T(): Tensor { return mv.transpose(this, 0, 1); }
  permute(...dims: number[] | [readonly number[]]): Tensor { return mv.permute(this, flattenShapeArgs(dims)); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return mv.expand(this, flattenShapeArgs(shape)); }
  /** Rows `start..end-1` along dim 0 (a view sharing storage). */
  slice(start: number, end?: number): Tensor { return mv.slice(this, start, end); }
  /** Row `i` along dim 0, with dim 0 removed. */
  index(i: number): Tensor { return mv.select(this, 0, i); }
  select(dim: number, i: number): Tensor { return mv.select(this, dim, i); }
  narrow(dim: number, start: number, length: number): Tensor { return mv.narrow(this, dim, start, length); }
  gather(dim: number, index: IndexLike): Tensor { return mv.gather(this, dim, index); }
  indexSelect(dim: number, index: IndexLike): Tensor { return mv.indexSelect(this, dim, index); }
  matmul(other: Tensor): Tensor { return matmul(this, other); }
}

/** Integer positions: a tensor holding integers, a typed array or a plain array. */
export type IndexLike = Tensor | Int32Array | readonly number[];

function flattenShapeArgs(args: number[] | [readonly number[]]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

// ---- creation ----

function inferNestedShape(value: NestedArray): number[] {
  const shape: number[] = [];
  let cursor: NestedArray = value;
  while (Array.isArray(cursor)) {
    shape.push(cursor.length);
    if (cursor.length === 0) break;
    cursor = cursor[0]!;
  }
  return shape;
}

function fillNested(value: NestedArray, shape: readonly number[], out: FloatArray): void {
  let k = 0;
  const walk = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`tensor: expected a number at ${path || 'the top level'}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new RangeError(`tensor: ragged nested array at ${path || 'the top level'}: expected ${shape[dim]} entries as in the first row, got ${Array.isArray(v) ? v.length : typeof v}`);
    }
    v.forEach((item: NestedArray, i: number) => walk(item, dim + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
}

/**
 * Makes a tensor from nested arrays, a typed array or a flat array with a shape.
 * A typed array or flat array without a shape gives a 1-D tensor.
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: Shape, options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  let data: FloatArray;
  let finalShape: number[];
  if (ArrayBuffer.isView(values) || (Array.isArray(values) && shape !== undefined && !values.some(Array.isArray))) {
    const flat = values as ArrayLike<number>;
    data = allocate(flat.length, dtype);
    for (let i = 0; i < flat.length; i++) data[i] = flat[i]!;
    finalShape = shape === undefined ? [flat.length] : inferShape(shape, flat.length, 'tensor');
  } else {
    const nested = values as NestedArray;
    const nestedShape = inferNestedShape(nested);
    data = allocate(numel(nestedShape), dtype);
    fillNested(nested, nestedShape, data);
    finalShape = shape === undefined ? nestedShape : inferShape(shape, data.length, 'tensor');
  }
  return new Tensor(data, finalShape, { requiresGrad: options.requiresGrad });
}

/** A 0-d tensor holding one number. */
export function scalar(value: number, options: TensorOptions = {}): Tensor {
  const data = allocate(1, options.dtype ?? 'float32');
  data[0] = value;
  return new Tensor(data, [], { requiresGrad: options.requiresGrad });
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  const checked = checkShape(shape);
  const data = allocate(numel(checked), options.dtype ?? 'float32');
  if (value !== 0) data.fill(value);
  return new Tensor(data, checked, { requiresGrad: options.requiresGrad });
}

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...options });
}

export function fullLike(t: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...options });
}

/** `arange(end)` or `arange(start, end, step)`, like `torch.arange`. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (![lo, hi, step].every(Number.isFinite)) throw new RangeError(`arange: start, end and step must be finite, got ${lo}, ${hi}, ${step}`);
  if (step === 0) throw new RangeError('arange: step must be non-zero');
  if ((hi - lo) / step < 0) throw new RangeError(`arange: upper bound and step are inconsistent (start ${lo}, end ${hi}, step ${step})`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(n, options.dtype ?? 'float32');
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return new Tensor(data, [n], { requiresGrad: options.requiresGrad });
}

export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = allocate(steps, options.dtype ?? 'float32');
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return new Tensor(data, [steps], { requiresGrad: options.requiresGrad });
}

export function eye(n: number, options: TensorOptions = {}): Tensor {
  const t = zeros([n, n], options);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

/** Uniform draws in [0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  const t = zeros(shape, options);
  const g = options.generator ?? defaultGenerator;
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.uniform();
  return t;
}

/** Standard normal draws. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  const t = zeros(shape, options);
  const g = options.generator ?? defaultGenerator;
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.normal();
  return t;
}

/** Uniform integers in [low, high). */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  const t = zeros(shape, options);
  const g = options.generator ?? defaultGenerator;
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.integer(low, high);
  return t;
}

/**
 * `Module`: a tree of layers that owns parameters (PyTorch's `nn.Module`).
 *
 * Parameters and sub-modules are found by looking at the module's own fields, in the order
 * they were assigned, so a model reads like PyTorch:
 *
 *   class Mlp extends Module {
 *     fc1 = new Linear(4, 16);
 *     fc2 = new Linear(16, 3);
 *     forward(x: Tensor) { return this.fc2.call(F.relu(this.fc1.call(x))); }
 *   }
 *
 * A field whose value is a `Parameter` is a parameter; a field holding a `Module` is a child.
 * Anything else (numbers, plain tensors, `#private` fields) is ignored. Names are dotted
 * paths (`fc1.weight`, `layers.0.bias`). Integer-like field names ("0", "1", …) are listed
 * before the others, in numeric order, because that is how JavaScript orders object keys;
 * `Sequential` relies on it. A plain array of modules or parameters is an error with a hint
 * (use `ModuleList` or `Sequential`), because silently skipping it would leave those
 * parameters out of the optimizer.
 *
 * Order of `namedParameters()`: as PyTorch's `named_parameters()`, a module's own
 * parameters come first, then each child's, depth first. A parameter or module reached
 * twice (shared weights) is listed once, under its first name.
 */
import { Tensor } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { shapeString, sameShape, numel } from '../tensor/shape.js';
import { Parameter } from './parameter.js';

/** A serialisable snapshot of one parameter: its shape and row-major values. */
export interface TensorRecord {
  shape: number[];
  data: number[];
}

/** Parameter name → values; `JSON.stringify` round-trips it. */
export type StateDict = Record<string, TensorRecord>;

export interface LoadStateDictOptions {
  /** Require the names to match exactly (default). With false, missing and extra names are reported, not errors. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface RegisterBufferOptions {
  /** Part of `stateDict()` (default true); a non-persistent buffer is state that is recomputed, not saved. */
  persistent?: boolean;
}

interface BufferSlot {
  tensor: Tensor | null;
  persistent: boolean;
}

export abstract class Module {
  /** Training mode (dropout active) or evaluation mode; set with `train()` / `eval()`. */
  training = true;

  /**
   * Tensors that are state but not parameters (BatchNorm's running statistics), by their PyTorch
   * names. A plain field (PyTorch's `_buffers`), so a copy of the module (AveragedModel's) copies
   * them too; use registerBuffer/getBuffer rather than this.
   */
  readonly _buffers: Record<string, BufferSlot> = Object.create(null) as Record<string, BufferSlot>;

  /** The computation. Subclasses give it their own signature; `call` forwards to it. */
  abstract forward(...inputs: unknown[]): unknown;

  /** Runs `forward` (PyTorch's `module(x)`). */
  call(...inputs: Parameters<this['forward']>): ReturnType<this['forward']> {
    return Reflect.apply(this.forward, this, inputs) as ReturnType<this['forward']>;
  }

  // ---- structure ----

  /** Own fields that hold a parameter or a module, in assignment order. */
  private ownMembers(): Array<[string, Parameter | Module]> {
    const members: Array<[string, Parameter | Module]> = [];
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Parameter || value instanceof Module) members.push([name, value]);
      else if (Array.isArray(value) && value.some((v) => v instanceof Module || v instanceof Parameter)) {
        throw new TypeError(
          `${this.constructor.name}: field '${name}' is a plain array holding modules or parameters, which would be invisible to parameters(); wrap modules in new ModuleList([...]) or new Sequential(...), and register parameters one by one with registerParameter('${name}0', p)`,
        );
      }
    }
    return members;
  }

  /** Direct sub-modules with their field names. */
  namedChildren(): Array<[string, Module]> {
    return this.ownMembers().filter((entry): entry is [string, Module] => entry[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module ('' as its name) and every module below it, depth first, each once. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    const visit = (module: Module, name: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([name, module]);
      for (const [childName, child] of module.namedChildren()) visit(child, name === '' ? childName : `${name}.${childName}`);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted name (see the ordering rule at the top of this file). */
  namedParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    const seen = new Set<Parameter>();
    for (const [moduleName, module] of this.namedModules()) {
      for (const [name, value] of module.ownMembers()) {
        if (!(value instanceof Parameter) || seen.has(value)) continue;
        seen.add(value);
        out.push([moduleName === '' ? name : `${moduleName}.${name}`, value]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Adds a parameter under `name` (for names that are computed, such as "0"); same as assigning the field. */
  registerParameter(name: string, param: Parameter): Parameter {
    if (!(param instanceof Parameter)) throw new TypeError(`registerParameter: '${name}' must be a Parameter (wrap a tensor with new Parameter(t))`);
    this.assignMember(name, param, 'registerParameter');
    return param;
  }

  /**
   * Adds a buffer: a tensor the module keeps and saves with its parameters, but that no
   * optimizer updates (PyTorch's `register_buffer`). `null` reserves the name for later.
   */
  registerBuffer(name: string, tensor: Tensor | null, { persistent = true }: RegisterBufferOptions = {}): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new RangeError(`registerBuffer: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer: '${name}' must be a Tensor or null`);
    if (tensor instanceof Parameter) throw new TypeError(`registerBuffer: '${name}' is a Parameter; register it with registerParameter`);
    const member: unknown = (this as Record<string, unknown>)[name];
    if (member instanceof Parameter || member instanceof Module) throw new RangeError(`registerBuffer: '${name}' is already a parameter or module of ${this.constructor.name}`);
    this._buffers[name] = { tensor, persistent };
  }

  /** The buffer registered as `name` (null when registered empty); an error for an unknown name. */
  getBuffer(name: string): Tensor | null {
    const slot = Object.hasOwn(this._buffers, name) ? this._buffers[name] : undefined;
    if (slot === undefined) throw new RangeError(`${this.constructor.name} has no buffer '${name}'`);
    return slot.tensor;
  }

  /** Every non-empty buffer with its dotted name, in module order. */
  namedBuffers(): Array<[string, Tensor]> {
    return this.namedState({ parameters: false, nonPersistent: true });
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /**
   * Module by module (as `namedModules`), each module's own parameters then its own buffers:
   * the order and names of PyTorch's `state_dict()`. Each tensor is listed once.
   */
  private namedState({ parameters, nonPersistent }: { parameters: boolean; nonPersistent: boolean }): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    const add = (moduleName: string, name: string, t: Tensor): void => {
      if (seen.has(t)) return;
      seen.add(t);
      out.push([moduleName === '' ? name : `${moduleName}.${name}`, t]);
    };
    for (const [moduleName, module] of this.namedModules()) {
      if (parameters) for (const [name, value] of module.ownMembers()) if (value instanceof Parameter) add(moduleName, name, value);
      for (const [name, slot] of Object.entries(module._buffers)) if (slot.tensor !== null && (nonPersistent || slot.persistent)) add(moduleName, name, slot.tensor);
    }
    return out;
  }

  /** Adds a child module under `name`; same as assigning the field. */
  registerModule<M extends Module>(name: string, module: M): M {
    if (!(module instanceof Module)) throw new TypeError(`registerModule: '${name}' must be a Module`);
    this.assignMember(name, module, 'registerModule');
    return module;
  }

  private assignMember(name: string, value: Parameter | Module, op: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new RangeError(`${op}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    const existing: unknown = (this as Record<string, unknown>)[name];
    if (name in this && !(existing instanceof Parameter || existing instanceof Module || existing === undefined)) {
      throw new RangeError(`${op}: '${name}' is already an attribute of ${this.constructor.name} that is not a parameter or module`);
    }
    (this as Record<string, unknown>)[name] = value;
  }

  // ---- modes and gradients ----

  /** Sets training mode on this module and every module below it. */
  train(mode = true): this {
    for (const module of this.modules()) module.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clears the gradients of every parameter: to null (default, as PyTorch ≥ 2.0), or to zeros
   * in place with `{ setToNone: false }` (an empty row set for a sparse gradient).
   */
  zeroGrad({ setToNone = true }: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      const g = p.grad;
      if (setToNone || g === null) p.grad = null;
      else if (g instanceof SparseRows) {
        p.grad = new SparseRows([], new Tensor(new Float32Array(0), [0, ...g.shape.slice(1)]), g.shape);
      } else g.data.fill(0);
    }
  }

  // ---- checkpoints ----

  /** Every parameter and persistent buffer, named as `namedState` orders them. */
  namedStateTensors(): Array<[string, Tensor]> {
    return this.namedState({ parameters: true, nonPersistent: false });
  }

  /** A JSON-able copy of every parameter and persistent buffer: `{ name: { shape, data } }`. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, t] of this.namedStateTensors()) out[name] = { shape: [...t.shape], data: Array.from(t.data) };
    return out;
  }

  /**
   * Copies values from `state` into the parameters and persistent buffers, in place (storage identity is kept).
   * Every name, shape and value is checked first; on any problem nothing is changed and the
   * error lists all the problems.
   */
  loadStateDict(state: StateDict, { strict = true }: LoadStateDictOptions = {}): LoadStateDictResult {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError('loadStateDict: expected an object mapping parameter names to { shape, data }');
    }
    const params = this.namedStateTensors();
    const known = new Set(params.map(([name]) => name));
    const missingKeys = params.map(([name]) => name).filter((name) => !Object.hasOwn(state, name));
    const unexpectedKeys = Object.keys(state).filter((name) => !known.has(name));
    const problems: string[] = [];
    if (strict) {
      if (missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    }
    const updates: Array<[Tensor, ArrayLike<number>]> = [];
    for (const [name, p] of params) {
      if (!Object.hasOwn(state, name)) continue;
      const problem = recordProblem(state[name], p);
      if (problem === null) updates.push([p, state[name]!.data]);
      else problems.push(`'${name}': ${problem}`);
    }
    if (problems.length > 0) throw new RangeError(`loadStateDict: nothing was loaded; ${problems.join('; ')}`);
    for (const [p, data] of updates) p.data.set(data);
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----

  /** Extra text inside this module's parentheses, e.g. `inFeatures=4, outFeatures=3`. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style structure: `Sequential(\n  (0): Linear(...)\n)`. */
  toString(): string {
    const children = this.namedChildren();
    const name = this.constructor.name;
    if (children.length === 0) return `${name}(${this.extraRepr()})`;
    const lines = children.map(([childName, child]) => `  (${childName}): ${child.toString().replace(/\n/g, '\n  ')}`);
    const extra = this.extraRepr();
    return `${name}(${extra === '' ? '' : `${extra}`}\n${lines.join('\n')}\n)`;
  }
}

/** Why `entry` cannot be loaded into `p`, or null if it can. */
function recordProblem(entry: unknown, p: Tensor): string | null {
  if (entry === null || typeof entry !== 'object') return 'expected { shape, data }';
  const { shape, data } = entry as Partial<TensorRecord>;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return 'shape must be an array of non-negative integers';
  if (!sameShape(shape, p.shape)) return `shape ${shapeString(shape)} does not match the ${p instanceof Parameter ? 'parameter' : 'buffer'}'s shape ${shapeString(p.shape)}`;
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') return 'data must be an array of numbers';
  const values = data as ArrayLike<number>;
  if (values.length !== numel(p.shape)) return `data has ${values.length} values, shape ${shapeString(shape)} needs ${numel(p.shape)}`;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') return `data[${i}] is ${JSON.stringify(values[i])}, not a number`;
  }
  return null;
}

/** A list of modules, registered as children "0", "1", … (PyTorch's `nn.ModuleList`). Has no forward. */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.namedChildren().length;
  }

  append(module: M): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  at(index: number): M {
    const n = this.length;
    const i = index < 0 ? index + n : index;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`ModuleList: index ${index} is out of range for ${n} modules`);
    return (this as unknown as Record<string, M>)[String(i)]!;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward: iterate over its modules and call them');
  }
}

/**
 * State dicts: PyTorch's `state_dict()` layout as JSON, written and read against a spec's state
 * layout.
 *
 * `{ state: { "<index>": { step, exp_avg, ... } }, param_groups: [{ lr, ..., params: [indices] }] }`
 * with tensors as `{ shape, data }`, snake_case keys, and `param_names` when the optimizer was
 * built from named parameters (PyTorch ≥ 2.6 writes them too). Reading checks everything and
 * returns the new options and state without touching the optimizer: the caller swaps them in
 * only once nothing can fail.
 */
import { nestedDeeperThan, STATE_DICT_MAX_DEPTH } from '../util/nesting.js';
import { Tensor, allocate, type FloatArray } from '../tensor/tensor.js';
import { numel, shapeString } from '../tensor/shape.js';
import { camelCase, snakeCase } from './options.js';
import type { OptionSpec, StateLayout } from './spec.js';

/** A value in one parameter's live state. */
export type StateValue = number | boolean | string | null | Tensor | readonly StateValue[];

/** One parameter's live state, keyed by PyTorch's names (`exp_avg`, `momentum_buffer`, ...); `undefined` entries are absent. */
export type ParamState = Record<string, StateValue | undefined>;

/** A tensor in a state dict: row-major values and a shape. */
export interface TensorJSON {
  shape: number[];
  data: number[];
}

export type StateJSONValue = number | boolean | string | null | TensorJSON | StateJSONValue[];

export interface ParamGroupJSON {
  params: number[];
  param_names?: string[];
  [option: string]: unknown;
}

/** `optimizer.stateDict()`: PyTorch's layout, JSON-serializable as is. */
export interface OptimizerStateDict {
  state: Record<string, Record<string, StateJSONValue>>;
  param_groups: ParamGroupJSON[];
}

/**
 * PyTorch's implementation switches: they choose how PyTorch runs a step and change no number.
 * A loaded state dict may carry those its class has in PyTorch 2.x (or 1.13), with any value
 * that has a meaning here:
 *  - `foreach` (PyTorch's multi-tensor loop) and `fused` (its fused kernels): null, true or
 *    false; descent's step is one fused WebAssembly call per group where it can be, the plain
 *    loop elsewhere, with the same numbers either way.
 *  - `capturable` (CUDA graph capture): true or false; descent captures no graphs.
 *  - `differentiable` (a step autograd can differentiate through): false only; descent's step
 *    runs without autograd, so `true` is refused rather than silently not honoured.
 * `stateDict()` writes PyTorch 2.14's values for the class (the spec's `torchGroupKeys`).
 */
const IMPLEMENTATION_KEYS: Readonly<Record<string, (value: unknown) => string | null>> = {
  foreach: (v) => (v === null || typeof v === 'boolean' ? null : 'must be null, true or false'),
  fused: (v) => (v === null || typeof v === 'boolean' ? null : 'must be null, true or false'),
  capturable: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  differentiable: (v) => (v === false ? null : v === true ? "is true, which descent does not support (its optimizer step runs without autograd)" : 'must be true or false'),
};

/**
 * Keys PyTorch's LR schedulers write into param groups (`initial_lr` by every scheduler, the
 * rest by OneCycleLR, CyclicLR and SWALR), so a state dict saved during a scheduled run has them.
 * Accepted as finite numbers and kept in the group (camelCase), as PyTorch keeps them: descent's
 * schedulers read `initialLr`, the others are carried along for the round trip.
 */
const SCHEDULER_KEYS: ReadonlySet<string> = new Set(['initial_lr', 'max_lr', 'min_lr', 'max_momentum', 'base_momentum', 'swa_lr']);

/** The most dimensions a state tensor may have (PyTorch's limit is 64). */
const MAX_RANK = 64;

/** A live group as the state dict sees it. */
export interface GroupView {
  params: readonly Tensor[];
  paramNames?: readonly string[];
  [option: string]: unknown;
}

/** What writing and reading need to know of the optimizer. */
export interface StateDictContext<S> {
  name: string;
  groups: readonly GroupView[];
  state: ReadonlyMap<Tensor, S>;
  /** The options table: every group has these keys (camelCase here); a state dict from an older PyTorch may lack those with `addedIn`. */
  options: readonly OptionSpec[];
  torchGroupKeys: Readonly<Record<string, unknown>>;
  /** Which of `torchGroupKeys` PyTorch 1.13 wrote (spec.ts). */
  legacyTorchGroupKeys: readonly string[];
  layout(options: Readonly<Record<string, unknown>>): StateLayout;
  /** Throws naming the problem when a group's options are invalid. */
  validate(options: Readonly<Record<string, unknown>>): void;
}

export function copyJSON(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJSON);
  return value;
}

/** PyTorch's `state_dict()`, as plain JSON data (copies, not views of the live state). */
export function writeStateDict<S extends ParamState>(ctx: StateDictContext<S>): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  const groups: ParamGroupJSON[] = [];
  let index = 0;
  for (const group of ctx.groups) {
    const layout = ctx.layout(group);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(group)) {
      if (key === 'params' || key === 'paramNames') continue;
      out[snakeCase(key)] = copyJSON(value);
    }
    for (const [key, value] of Object.entries(ctx.torchGroupKeys)) if (!(key in out)) out[key] = value;
    const indices: number[] = [];
    for (const p of group.params) {
      const s = ctx.state.get(p);
      // PyTorch 2.x keeps no entry for a parameter whose state is empty (SGD without momentum).
      if (s !== undefined && Object.values(s).some((v) => v !== undefined)) state[String(index)] = serializeState(s, layout);
      indices.push(index++);
    }
    out.params = indices;
    if (group.paramNames) out.param_names = [...group.paramNames];
    groups.push(out as ParamGroupJSON);
  }
  return { state, param_groups: groups };
}

/** A checked state dict: each group's new options, and the new state by parameter. */
export interface ReadStateDict<S> {
  options: Record<string, unknown>[];
  state: Map<Tensor, S>;
}

/**
 * Checks a state dict from `stateDict()` (or PyTorch's, as JSON) against the optimizer: group
 * count, option keys of this optimizer, parameter counts, names, every state entry's key and
 * shape, option values. Throws `<Name>.loadStateDict: ...` on the first problem; changes nothing.
 */
export function readStateDict<S extends ParamState>(ctx: StateDictContext<S>, stateDict: OptimizerStateDict): ReadStateDict<S> {
  const prefix = `${ctx.name}.loadStateDict: `;
  try {
    if (nestedDeeperThan(stateDict, STATE_DICT_MAX_DEPTH)) throw new Error(`${prefix}values are nested more than ${STATE_DICT_MAX_DEPTH} levels deep, which no state dict is`);
    return readChecked(ctx, stateDict, prefix);
  } catch (e) {
    // Only descent's own refusals leave here: an engine error (a stack overflow, a throwing
    // getter) on a hostile input becomes one that names the problem.
    if (e instanceof Error && e.message.startsWith(prefix)) throw e;
    throw new Error(`${prefix}the state dict could not be read (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

function readChecked<S extends ParamState>(ctx: StateDictContext<S>, stateDict: OptimizerStateDict, prefix: string): ReadStateDict<S> {
  const fail = (msg: string): never => {
    throw new Error(prefix + msg);
  };
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) fail('expected an object { state, param_groups }');
  const extra = Object.keys(stateDict).filter((k) => k !== 'state' && k !== 'param_groups');
  if (extra.length > 0) fail(`unexpected ${extra.map((k) => `'${k}'`).join(', ')} (a state dict has 'state' and 'param_groups' only)`);
  const { state, param_groups: savedGroups } = stateDict;
  if (!Array.isArray(savedGroups)) fail(`'param_groups' must be an array`);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) fail(`'state' must be an object keyed by parameter index`);
  if (savedGroups.length !== ctx.groups.length) {
    fail(`the state dict has ${savedGroups.length} param group(s), this optimizer has ${ctx.groups.length}`);
  }

  const optionKeys = new Map(ctx.options.map((row) => [snakeCase(row.name), row] as const));
  const torchKeys = ctx.torchGroupKeys;
  const byIndex = new Map<number, { param: Tensor; label: string; group: number }>();
  const newOptions: Record<string, unknown>[] = [];

  savedGroups.forEach((saved, g) => {
    const where = `param_groups[${g}]`;
    if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) fail(`${where} must be an object`);
    const ours = ctx.groups[g]!;
    const keys = Object.keys(saved);
    // Only a state dict from before an option existed may lack it: one with a key that only
    // PyTorch 2.x writes for this class is a 2.x one.
    const fromTwoX = keys.some((k) => Object.hasOwn(torchKeys, k) && !ctx.legacyTorchGroupKeys.includes(k));
    const missing = [...optionKeys].filter(([k, row]) => !Object.hasOwn(saved, k) && (row.addedIn === undefined || fromTwoX)).map(([k]) => k);
    if (!Object.hasOwn(saved, 'params')) missing.push('params');
    const foreign = keys.filter((k) => k !== 'params' && k !== 'param_names' && !optionKeys.has(k) && !Object.hasOwn(torchKeys, k) && !SCHEDULER_KEYS.has(k));
    if (missing.length > 0 || foreign.length > 0) {
      fail(
        `${where} is not a ${ctx.name} param group (` +
          [missing.length ? `missing ${missing.map((k) => `'${k}'`).join(', ')}` : '', foreign.length ? `unexpected ${foreign.map((k) => `'${k}'`).join(', ')}` : '']
            .filter(Boolean)
            .join('; ') +
          `): is it another optimizer's state dict?`,
      );
    }
    for (const [key, written] of Object.entries(torchKeys)) {
      if (!Object.hasOwn(saved, key)) continue;
      const check = IMPLEMENTATION_KEYS[key];
      const problem = check !== undefined ? check(saved[key]) : saved[key] === written ? null : `is ${formatJSON(saved[key])}, a ${ctx.name}'s is always ${formatJSON(written)}: is it another optimizer's state dict?`;
      if (problem !== null) fail(`${where}.${key} ${problem}`);
    }
    const ids = saved.params;
    if (!Array.isArray(ids) || !ids.every((i) => Number.isInteger(i) && i >= 0)) fail(`${where}.params must be an array of non-negative integer indices`);
    if (ids.length !== ours.params.length) {
      fail(`${where} has ${ids.length} parameter(s), this optimizer's group ${g} has ${ours.params.length}`);
    }

    const savedNames = saved.param_names;
    let order: readonly Tensor[] = ours.params;
    let labels: string[] = ours.params.map((_, j) => ours.paramNames?.[j] ?? `parameter ${j} of group ${g}`);
    if (savedNames !== undefined) {
      if (!Array.isArray(savedNames) || savedNames.length !== ids.length || !savedNames.every((n) => typeof n === 'string')) {
        fail(`${where}.param_names must list one name per parameter`);
      }
    }
    if (savedNames !== undefined && ours.paramNames) {
      const ourIndex = new Map(ours.paramNames.map((n, j) => [n, j] as const));
      const absent = savedNames.filter((n) => !ourIndex.has(n));
      const extra = ours.paramNames.filter((n) => !savedNames.includes(n));
      if (absent.length > 0 || extra.length > 0 || new Set(savedNames).size !== savedNames.length) {
        fail(
          `${where} names do not match this optimizer's group ${g}` +
            (absent.length ? `; not here: ${absent.map((n) => `'${n}'`).join(', ')}` : '') +
            (extra.length ? `; not in the state dict: ${extra.map((n) => `'${n}'`).join(', ')}` : '') +
            (new Set(savedNames).size !== savedNames.length ? '; a name repeats' : ''),
        );
      }
      order = savedNames.map((n) => ours.params[ourIndex.get(n)!]!);
      labels = savedNames.map((n) => `'${n}'`);
    }
    ids.forEach((id, j) => {
      if (byIndex.has(id)) fail(`parameter index ${id} appears twice in param_groups`);
      byIndex.set(id, { param: order[j]!, label: labels[j]!, group: g });
    });

    // Values are checked before they are copied: a deeply nested one is refused, not recursed into.
    const options: Record<string, unknown> = {};
    for (const [key, row] of optionKeys) options[row.name] = Object.hasOwn(saved, key) ? saved[key] : row.default;
    try {
      ctx.validate(options);
    } catch (e) {
      fail(`${where}: ${(e as Error).message}`);
    }
    for (const [name, value] of Object.entries(options)) options[name] = copyJSON(value);
    for (const key of keys.filter((k) => SCHEDULER_KEYS.has(k))) {
      const value = saved[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${where}.${key} must be a finite number (a scheduler's), got ${formatJSON(value)}`);
      options[camelCase(key)] = value;
    }
    newOptions.push(options);
  });

  const newState = new Map<Tensor, S>();
  for (const [key, entry] of Object.entries(state)) {
    const id = Number(key);
    // One spelling per index, PyTorch's: "1", never "01", "1.0", "0x1" or " 1".
    if (!Number.isInteger(id) || id < 0 || String(id) !== key) fail(`state key '${key.length > 20 ? key.slice(0, 20) + '…' : key}' is not a parameter index (a non-negative integer written in decimal)`);
    const target = byIndex.get(id);
    if (target === undefined) fail(`state '${key}' belongs to no parameter listed in param_groups`);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`state['${key}'] must be an object`);
    const { param, label, group } = target!;
    const layout = ctx.layout(newOptions[group]!);
    try {
      const read = deserializeState(entry, layout, param);
      if (Object.keys(read).length > 0) newState.set(param, read as S);
    } catch (e) {
      fail(`state['${key}'] (${label}): ${(e as Error).message}`);
    }
  }
  return { options: newOptions, state: newState };
}

function formatJSON(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------
// One parameter's state

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}

function tensorJSON(t: Tensor): TensorJSON {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

function scalarJSON(x: number): TensorJSON {
  return { shape: [], data: [x] };
}

export function serializeState(state: ParamState, layout: StateLayout): Record<string, StateJSONValue> {
  const out: Record<string, StateJSONValue> = {};
  for (const [key, value] of Object.entries(state)) {
    const kind = layout[key]?.kind;
    if (value === undefined) continue;
    if (value === null) out[key] = null;
    else if ((kind === 'count0d' || kind === 'number0d') && typeof value === 'number') out[key] = scalarJSON(value);
    else if (kind === 'number0dList' && Array.isArray(value)) out[key] = value.map((x) => scalarJSON(x as number));
    else out[key] = serializeValue(value);
  }
  return out;
}

function serializeValue(value: StateValue): StateJSONValue {
  if (value instanceof Tensor) return tensorJSON(value);
  if (Array.isArray(value)) return value.map(serializeValue);
  return value as StateJSONValue;
}

function isTensorJSON(x: unknown): x is TensorJSON {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && Array.isArray((x as TensorJSON).shape) && Array.isArray((x as TensorJSON).data);
}

function readTensor(x: unknown, key: string, like: Tensor, expectShape: readonly number[] | null, nonNegative: boolean, expected = 'the parameter has shape'): Tensor {
  if (!isTensorJSON(x)) throw new Error(`'${key}' must be a tensor { shape, data }, got ${describe(x)}`);
  const shape = x.shape;
  if (shape.length > MAX_RANK || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`'${key}' has an invalid shape ${formatJSON(shape.slice(0, 8))}`);
  if (expectShape !== null && (shape.length !== expectShape.length || shape.some((d, i) => d !== expectShape[i]))) {
    throw new Error(`'${key}' has shape ${shapeString(shape)} but ${expected} ${shapeString(expectShape)}`);
  }
  if (x.data.length !== numel(shape)) throw new Error(`'${key}' has ${x.data.length} values for shape ${shapeString(shape)}`);
  // A moment or a sum that is NaN, infinite or (where it is a square) negative is no state a
  // step can have produced: it would poison every later step.
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    if (typeof v !== 'number') throw new Error(`'${key}' holds a value that is not a number at element ${i}`);
    if (!Number.isFinite(v)) throw new Error(`'${key}' holds ${v} at element ${i} (state values must be finite)`);
    if (like.dtype === 'float32' && !Number.isFinite(Math.fround(v))) throw new Error(`'${key}' holds ${v} at element ${i}, beyond float32's range (the parameter is float32)`);
    if (nonNegative && v < 0) throw new Error(`'${key}' holds ${v} at element ${i}, but it is a sum of squares (never negative)`);
  }
  const data: FloatArray = allocate(x.data.length, like.dtype);
  data.set(x.data);
  return new Tensor(data, shape);
}

function readNumber(x: unknown, key: string, integer: boolean): number {
  let value: unknown = x;
  if (isTensorJSON(x)) {
    if (x.data.length !== 1 || x.shape.length !== 0) throw new Error(`'${key}' must be a number or a 0-d tensor, got shape ${shapeString(x.shape)}`);
    value = x.data[0];
  }
  if (typeof value !== 'number') throw new Error(`'${key}' must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new Error(`'${key}' is ${value} (state values must be finite)`);
  if (integer && !(Number.isInteger(value) && value >= 0)) throw new Error(`'${key}' must be a non-negative integer count, got ${value}`);
  return value;
}

export function deserializeState(entry: Record<string, unknown>, layout: StateLayout, param: Tensor): ParamState {
  const out: ParamState = {};
  for (const key of Object.keys(entry)) {
    if (!Object.hasOwn(layout, key)) {
      const known = Object.keys(layout).map((k) => `'${k}'`).join(', ');
      throw new Error(`unexpected state entry '${key}' (this optimizer's state has ${known})`);
    }
  }
  for (const [key, field] of Object.entries(layout)) {
    const shape = field.shape?.(param.shape);
    if (shape === null && Object.hasOwn(entry, key)) throw new Error(`unexpected state entry '${key}' for a parameter of shape ${shapeString(param.shape)}`);
    if (!Object.hasOwn(entry, key) || entry[key] === undefined) {
      if ((field.required ?? true) || (shape !== undefined && shape !== null)) throw new Error(`missing state entry '${key}'`);
      continue;
    }
    const x = entry[key];
    if (x === null) {
      if (!field.nullable) throw new Error(`state entry '${key}' is null`);
      // PyTorch 1.13's SGD wrote `momentum_buffer: None` without momentum; 2.x keeps nothing there.
      if (field.required ?? true) out[key] = null;
      continue;
    }
    switch (field.kind) {
      case 'count':
      case 'count0d':
        out[key] = readNumber(x, key, true);
        break;
      case 'number':
      case 'number0d':
        out[key] = readNumber(x, key, false);
        break;
      case 'param':
        out[key] = readTensor(x, key, param, param.shape, field.nonNegative === true);
        break;
      case 'tensor':
        out[key] = readTensor(x, key, param, shape ?? null, field.nonNegative === true, `a parameter of shape ${shapeString(param.shape)} needs`);
        break;
      case 'tensorList':
        if (!Array.isArray(x)) throw new Error(`'${key}' must be a list of tensors`);
        out[key] = x.map((t, i) => readTensor(t, `${key}[${i}]`, param, null, false));
        break;
      case 'number0dList':
        if (!Array.isArray(x)) throw new Error(`'${key}' must be a list of numbers`);
        out[key] = x.map((t, i) => readNumber(t, `${key}[${i}]`, false));
        break;
    }
  }
  return out;
}

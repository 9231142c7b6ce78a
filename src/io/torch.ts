/**
 * Checkpoints PyTorch loads, and PyTorch checkpoints descent loads: a model's weights and an
 * optimizer's state as safetensors files laid out as PyTorch's `state_dict()`s.
 *
 * `model.safetensors` holds one tensor per entry of `model.stateDict()`, named as
 * `namedParameters()` names them, which are PyTorch's `state_dict()` names for the same
 * architecture (`0.weight`, `0.bias`, … for a Sequential), in the parameter's dtype.
 *
 * `optimizer.safetensors` holds `optimizer.stateDict()`:
 *
 *   state.<index>.<key>        each tensor of parameter <index>'s state (0-d ones, such as
 *                              `step`, at shape []), in the parameter's dtype, or float64
 *                              where a value would not survive float32
 *   state.<index>.<key>.<j>    the j-th tensor of a list in the state (L-BFGS's history)
 *   __metadata__               format "torch.optim.state_dict"; optimizer, the class name;
 *                              param_groups, PyTorch's group list as JSON; param_names, the
 *                              parameters' names in index order (JSON, null when unknown);
 *                              state, the state entries that are not tensors (JSON, only when
 *                              there are any; a list's tensors appear in it as {"tensor": name})
 *
 * `interop/torch/descent_io.py` reads and writes the same two files on the PyTorch side.
 * Everything here works on bytes (a browser can fetch and offer them); `saveModel`, `loadModel`,
 * `saveOptimizer` and `loadOptimizer` wrap them in Node files. A refused file changes nothing.
 */
import type { Tensor, DType } from '../tensor/tensor.js';
import type { Module, StateDict } from '../nn/module.js';
import type { OptimizerStateDict, ParamGroupJSON, StateJSONValue, TensorJSON } from '../optim/optimizer.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsFile, type TensorInput } from './safetensors.js';
import { parseExact, stringifyExact } from './json.js';
import { floatArray, isTensorJSON, joinTensors, splitTensors } from './tensor-json.js';
import { readSafetensorsFile, writeFileAtomic } from '../platform/files.js';

export const OPTIMIZER_FORMAT = 'torch.optim.state_dict';

/** What an optimizer must offer to be saved and loaded (descent's `Optimizer`). */
export interface StatefulOptimizer {
  readonly name: string;
  readonly paramGroups: ReadonlyArray<{ readonly params: readonly Tensor[]; readonly paramNames?: readonly string[] }>;
  stateDict(): OptimizerStateDict;
  loadStateDict(state: OptimizerStateDict): void;
}

export interface SaveOptimizerOptions {
  /** The model the optimizer trains: its names become `param_names` (default: the optimizer's own names, if it has them). */
  model?: Module;
}

function fail(label: string, why: string): never {
  throw new SafetensorsError(`${label}: ${why}`);
}

// ---------------------------------------------------------------------------------------------
// Model weights

/** Loads a file's tensors into the model; every name and shape is checked before anything changes. */
function loadModelFile(model: Module, file: SafetensorsFile, label: string): void {
  const entries: Array<[string, StateDict[string]]> = [];
  for (const [name, tensor] of file.tensors) {
    if (tensor.dtype !== 'F32' && tensor.dtype !== 'F64' && tensor.dtype !== 'I64') fail(label, `tensor '${name}' is ${tensor.dtype}; model tensors are F32, F64 or I64 (a counter such as num_batches_tracked)`);
    entries.push([name, { shape: [...tensor.shape], data: tensor.data as unknown as number[] }]);
  }
  try {
    // fromEntries: a tensor named `__proto__` stays a key (and is refused as unexpected).
    model.loadStateDict(Object.fromEntries(entries));
  } catch (error) {
    fail(label, `the model does not match: ${(error as Error).message}`);
  }
}

/** `model.safetensors`'s bytes. */
export function saveModelBytes(model: Module): Uint8Array {
  const dtypes = new Map(model.namedStateTensors().map(([name, t]) => [name, t.dtype] as const));
  const tensors = Object.entries(model.stateDict()).map(([name, record]): [string, TensorInput] => [name, { shape: record.shape, data: floatArray(record.data, dtypes.get(name)) }]);
  return encodeSafetensors(tensors);
}

export function loadModelBytes(model: Module, bytes: Uint8Array, label = 'model.safetensors'): void {
  loadModelFile(model, decodeSafetensors(bytes, label), label);
}

// ---------------------------------------------------------------------------------------------
// Optimizer state

function parameterNames(optimizer: StatefulOptimizer, model: Module | undefined): string[] | null {
  const params = optimizer.paramGroups.flatMap((g) => g.params);
  if (model !== undefined) {
    const names = new Map<Tensor, string>(model.namedParameters().map(([name, p]) => [p, name]));
    return params.map((p, i) => names.get(p) ?? fail(`${optimizer.name}`, `parameter ${i} of the optimizer is not a parameter of the given model`));
  }
  if (optimizer.paramGroups.every((g) => g.paramNames !== undefined)) return optimizer.paramGroups.flatMap((g) => [...g.paramNames!]);
  return null;
}

/**
 * `optimizer.safetensors`'s bytes (see the top of this file). A state tensor takes its
 * parameter's dtype, widened to float64 where float32 would change a value.
 */
export function saveOptimizerBytes(optimizer: StatefulOptimizer, { model }: SaveOptimizerOptions = {}): Uint8Array {
  const names = parameterNames(optimizer, model);
  const params = optimizer.paramGroups.flatMap((g) => g.params);
  const { state, param_groups: groups } = optimizer.stateDict();
  const tensors: Array<[string, TensorInput]> = [];
  const rest: Record<string, Record<string, unknown>> = {};
  for (const [index, entry] of Object.entries(state)) {
    const dtype = params[Number(index)]?.dtype;
    for (const [key, value] of Object.entries(entry)) {
      // Tensors become file tensors; inside a list, the JSON keeps a reference in their place.
      const skeleton = splitTensors(value, `state.${index}.${key}`, (tensorName, tensor) => {
        tensors.push([tensorName, { shape: tensor.shape, data: floatArray(tensor.data, dtype) }]);
      });
      if (!isTensorJSON(value)) (rest[index] ??= {})[key] = skeleton;
    }
  }
  const metadata: Record<string, string> = {
    format: OPTIMIZER_FORMAT,
    optimizer: optimizer.name,
    param_groups: stringifyExact(groups),
    param_names: JSON.stringify(names),
  };
  if (Object.keys(rest).length > 0) metadata.state = stringifyExact(rest);
  return encodeSafetensors(tensors, metadata);
}

const INDEX = '(0|[1-9][0-9]*)';
const STATE_TENSOR = new RegExp(`^state\\.${INDEX}\\.([A-Za-z_][A-Za-z0-9_]*)((?:\\.${INDEX})*)$`);

function parseMetadataJSON(text: string | undefined, key: string, label: string): unknown {
  if (text === undefined) fail(label, `__metadata__ has no ${key}`);
  try {
    return parseExact(text);
  } catch (error) {
    return fail(label, `__metadata__.${key} is not JSON (${(error as SyntaxError).message})`);
  }
}

/**
 * Loads a file's optimizer state into `optimizer`. The file must hold the same class's state;
 * the optimizer's `loadStateDict` checks the rest (groups, options, every state entry) and
 * changes nothing when it refuses.
 */
function loadOptimizerFile(optimizer: StatefulOptimizer, file: SafetensorsFile, label: string): void {
  const meta = file.metadata;
  if (meta.format !== OPTIMIZER_FORMAT) fail(label, `not an optimizer state dict (__metadata__.format is ${JSON.stringify(meta.format)}, expected "${OPTIMIZER_FORMAT}")`);
  if (meta.optimizer !== optimizer.name) fail(label, `it holds ${meta.optimizer ?? 'unnamed'} state, but the optimizer is ${optimizer.name}`);
  const groups = parseMetadataJSON(meta.param_groups, 'param_groups', label);
  if (!Array.isArray(groups) || !groups.every((g) => g !== null && typeof g === 'object' && !Array.isArray(g))) fail(label, '__metadata__.param_groups must be a JSON list of groups');
  const names = meta.param_names === undefined ? null : parseMetadataJSON(meta.param_names, 'param_names', label);
  if (names !== null && !(Array.isArray(names) && names.every((n) => typeof n === 'string'))) fail(label, '__metadata__.param_names must be a JSON list of names or null');

  // Maps, so that a key such as `__proto__` stays a key (and is refused by loadStateDict).
  const state = new Map<string, Map<string, StateJSONValue>>();
  const entryOf = (index: string): Map<string, StateJSONValue> => state.get(index) ?? state.set(index, new Map()).get(index)!;
  const listed = new Map<string, TensorJSON>();
  for (const [name, tensor] of file.tensors) {
    const match = STATE_TENSOR.exec(name);
    if (match === null) fail(label, `tensor '${name}' is not named state.<index>.<key> (an index is written without leading zeros)`);
    if (tensor.dtype !== 'F32' && tensor.dtype !== 'F64') fail(label, `tensor '${name}' is ${tensor.dtype}; optimizer state is F32 or F64`);
    const value: TensorJSON = { shape: [...tensor.shape], data: Array.from(tensor.data) };
    const [, index, key, list] = match as unknown as [string, string, string, string];
    if (list !== '') listed.set(name, value);
    else entryOf(index).set(key, value);
  }
  const rest = meta.state === undefined ? {} : parseMetadataJSON(meta.state, 'state', label);
  if (rest === null || typeof rest !== 'object' || Array.isArray(rest)) fail(label, '__metadata__.state must be a JSON object keyed by parameter index');
  for (const [index, entry] of Object.entries(rest as Record<string, unknown>)) {
    if (!new RegExp(`^${INDEX}$`).test(index)) fail(label, `__metadata__.state has key '${index}', not a parameter index`);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(label, `__metadata__.state['${index}'] must be an object`);
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (state.get(index)?.has(key)) fail(label, `state entry ${index}.${key} is both a tensor and a value in __metadata__.state`);
      try {
        entryOf(index).set(key, joinTensors(value, listed, `state['${index}'].${key}`) as StateJSONValue);
      } catch (error) {
        fail(label, (error as Error).message);
      }
    }
  }
  if (listed.size > 0) fail(label, `tensor(s) ${[...listed.keys()].map((n) => `'${n}'`).join(', ')} belong to no list of the state`);

  const paramGroups = groups as ParamGroupJSON[];
  // Names written beside the groups (as PyTorch keeps them in `named_parameters()` order) let a
  // named optimizer match parameters by name rather than by position.
  if (names !== null && optimizer.paramGroups.every((g) => g.paramNames !== undefined)) {
    const list = names as string[];
    for (const group of paramGroups) {
      if (group.param_names === undefined && Array.isArray(group.params) && group.params.every((i) => Number.isInteger(i) && i >= 0 && i < list.length)) {
        group.param_names = group.params.map((i) => list[i]!);
      }
    }
  }
  try {
    optimizer.loadStateDict({ state: Object.fromEntries([...state].map(([index, entry]) => [index, Object.fromEntries(entry)])), param_groups: paramGroups });
  } catch (error) {
    fail(label, (error as Error).message);
  }
}

export function loadOptimizerBytes(optimizer: StatefulOptimizer, bytes: Uint8Array, label = 'optimizer.safetensors'): void {
  loadOptimizerFile(optimizer, decodeSafetensors(bytes, label), label);
}

// ---------------------------------------------------------------------------------------------
// Files (Node)

/** Writes `model.safetensors` (atomically: a crash leaves the old file or the new one). */
export function saveModel(model: Module, path: string): void {
  writeFileAtomic(path, saveModelBytes(model));
}

export function loadModel(model: Module, path: string): void {
  loadModelFile(model, readFile(path), path);
}

/** Writes `optimizer.safetensors`; pass `{ model }` to record the parameters' names. */
export function saveOptimizer(optimizer: StatefulOptimizer, path: string, options: SaveOptimizerOptions = {}): void {
  writeFileAtomic(path, saveOptimizerBytes(optimizer, options));
}

export function loadOptimizer(optimizer: StatefulOptimizer, path: string): void {
  loadOptimizerFile(optimizer, readFile(path), path);
}

function readFile(path: string): SafetensorsFile {
  try {
    return readSafetensorsFile(path);
  } catch (error) {
    if (error instanceof SafetensorsError) throw error;
    return fail(path, `cannot be read (${(error as Error).message})`);
  }
}

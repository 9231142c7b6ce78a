/**
 * An arena: one block of WebAssembly memory per parameter group (from the heap of
 * src/wasm/heap.ts, shared by every arena) holding the group's parameters, gradients and
 * optimizer state, so a fused kernel updates the whole group in one call.
 *
 * Layout (byte addresses from the block's start):
 *
 *   0      segment table: 16 bytes per entry (address, count, scale, unused), one per param
 *          norms: 16 bytes per param (two f64), written by the norm passes
 *          row indices: the largest first dimension of any param, i32, for sparse gradients
 *          (only for optimizers that take them: `sparseRows`)
 *   base   region 0: every param's values, in order, each padded to a multiple of 32 bytes
 *   +R     region 1: every param's gradient, same offsets
 *   +2R …  one region per state array (exp_avg, exp_avg_sq, …), same offsets
 *
 * Every array of param i is therefore at `address(i) + k·R`: a kernel needs one address per
 * segment and one constant offset per array. Params that sit next to each other merge into one
 * segment, so a group of a thousand small tensors is walked like one big one. Padding lanes
 * are zero at the start; the kernels may fill them with anything, and nothing reads them (norm
 * passes use exact counts).
 *
 * The block never moves or changes size: each param's `data` is a view into it. (The heap's
 * memory may grow for other blocks; a shared memory's growth detaches no view.) Building an arena rebinds each
 * param's `data` to its view (values copied) and sets `gradBuffer` to the gradient view, so
 * backward writes fresh gradients straight into the arena. Views taken of a param before the
 * arena was built (reshape, slice) keep the old storage, as after PyTorch's `param.data = …`.
 * `bindState` does the same for an optimizer's state tensors, so `optimizer.state` and its
 * state dict read the very arrays the kernels update.
 *
 * Nothing here allocates once an arena is built: the staged lists, the coalesced rows, the
 * norms and the segment table are reused from step to step.
 */
import { Tensor } from '../../tensor/tensor.js';
import { SparseRows } from '../../tensor/sparse.js';
import type { OptimKernels, WasmMemory } from '../../wasm/loader.js';
import { allocate, releaseWhenUnused, type HeapBlock } from '../../wasm/heap.js';

const ENTRY_BYTES = 16;
const NORM_BYTES = 16;

const alignTo = (n: number, a: number): number => Math.ceil(n / a) * a;

export interface ArenaOptions {
  /** The state arrays every param gets, by PyTorch's state key (e.g. `['exp_avg', 'exp_avg_sq']`). */
  state: readonly string[];
  /** Starting value of a state array where it is not 0 (Adagrad's `sum`: `initial_accumulator_value`). */
  initial?: Readonly<Record<string, number>>;
  /** Floats of scratch the kernels share, after the regions (Muon's Newton–Schulz matrices). */
  workspace?: number;
  /** Reserve the row-index scratch that row-sparse gradients need. Default true. */
  sparseRows?: boolean;
}

/** What `stageGrad` found for a param. */
export type GradKind = 'none' | 'dense' | 'sparse';

/**
 * Which params have which kind of gradient, from `stageGrads`. The object and its arrays are
 * reused by the next call; `allDense` says every param has a dense gradient.
 */
export interface StagedGrads {
  readonly dense: readonly number[];
  readonly sparse: readonly number[];
  readonly allDense: boolean;
}

/**
 * A coalesced sparse gradient staged in the arena: its rows' indices and values are in place.
 * The object is reused by the next `stageRows`.
 */
export interface StagedRows {
  rows: number;
  width: number;
  indicesAddress: number;
  valuesAddress: number;
}

export class ParamArena {
  /** The heap block the arena lives in. */
  readonly block: HeapBlock;
  readonly memory: WasmMemory;
  readonly kernels: OptimKernels;
  readonly params: readonly Tensor[];
  readonly stateNames: readonly string[];
  /** Bytes between one region and the next. */
  readonly regionBytes: number;
  readonly tableAddress: number;
  readonly normsAddress: number;
  /** The kernels' shared scratch (`ArenaOptions.workspace` floats), and a view of it for copies. */
  readonly workspaceAddress: number;
  readonly workspace: Float32Array;
  readonly indicesAddress: number;
  private readonly addresses: number[];
  private readonly counts: number[];
  private readonly paramViews: Float32Array[];
  private readonly gradViews: Float32Array[];
  /** `stateViews[k][i]`: param i's state array `stateNames[k]`. */
  private readonly stateViews: Float32Array[][];
  private readonly table: DataView;
  private readonly staged = { dense: [] as number[], sparse: [] as number[], allDense: false };
  private readonly rowsStaged: StagedRows = { rows: 0, width: 0, indicesAddress: 0, valuesAddress: 0 };
  /** The row-index scratch, as many entries as the largest first dimension. */
  private readonly rowIndices: Int32Array;
  private readonly normValues: Float64Array;
  /** What the segment table holds now: the params it was written for, and how. */
  private readonly tableIndices: number[] = [];
  /** The list the table was written for, when it was frozen (it cannot have changed since). */
  private tableFrozenList: readonly number[] | null = null;
  private tableSeparate = false;
  private tableEntries = -1;
  private tableScaled = false;
  private slots: Int32Array | null = null;

  constructor(params: Iterable<Tensor>, options: ArenaOptions) {
    const list = [...params];
    const seen = new Set<Tensor>();
    list.forEach((p, i) => {
      if (p.dtype !== 'float32') throw new TypeError(`ParamArena: fused WebAssembly kernels need float32 parameters; parameter ${i} is ${p.dtype}`);
      if (seen.has(p)) throw new Error(`ParamArena: parameter ${i} appears more than once`);
      seen.add(p);
    });
    const names = [...options.state];
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new Error(`ParamArena: state array '${dup}' is listed twice`);
    for (const key of Object.keys(options.initial ?? {})) {
      if (!names.includes(key)) throw new Error(`ParamArena: initial value given for '${key}', which is not one of the state arrays (${names.join(', ') || 'none'})`);
    }

    const counts = list.map((p) => p.data.length);
    const maxRows = options.sparseRows === false ? 0 : list.reduce((most, p) => Math.max(most, p.shape[0] ?? 1), 1);
    // Offsets from the block's start first; the block's address is added once it is known.
    const normsAt = ENTRY_BYTES * Math.max(1, list.length);
    const indicesAt = normsAt + NORM_BYTES * Math.max(1, list.length);
    const base = alignTo(indicesAt + 4 * maxRows, 64);
    const offsets: number[] = [];
    let offset = base;
    for (const n of counts) {
      offsets.push(offset);
      // Eight values (two f32x4 vectors): the kernels' loops take two vectors per turn.
      offset += alignTo(Math.max(n, 1), 8) * 4;
    }
    const regionBytes = alignTo(offset - base, 64);
    const workspaceAt = base + regionBytes * (2 + names.length);
    const workspaceFloats = options.workspace ?? 0;
    // 64 bytes of slack past the workspace: vector loads may read a little past an array's end.
    const totalBytes = workspaceAt + (workspaceFloats > 0 ? alignTo(4 * workspaceFloats + 64, 64) : 0);
    try {
      this.block = allocate(totalBytes);
    } catch (cause) {
      throw new RangeError(`ParamArena: ${counts.reduce((a, b) => a + b, 0)} parameters with ${names.length} state arrays need ${(totalBytes / 2 ** 20).toFixed(1)} MiB of WebAssembly memory, which could not be had: ${(cause as Error).message}`, { cause });
    }
    const start = this.block.address;
    const addresses = offsets.map((o) => start + o);
    const normsAddress = start + normsAt;
    const indicesAddress = start + indicesAt;
    const workspaceAddress = start + workspaceAt;
    this.memory = this.block.memory;
    this.kernels = this.block.optimKernels;
    this.tableAddress = start;
    this.params = list;
    this.stateNames = names;
    this.regionBytes = regionBytes;
    this.normsAddress = normsAddress;
    this.workspaceAddress = workspaceAddress;
    this.indicesAddress = indicesAddress;
    this.addresses = addresses;
    this.counts = counts;
    const buffer = this.memory.buffer;
    this.workspace = new Float32Array(buffer, workspaceAddress, workspaceFloats);
    this.table = new DataView(buffer);
    const region = (k: number): Float32Array[] => list.map((_, i) => new Float32Array(buffer, addresses[i]! + k * regionBytes, counts[i]!));
    this.paramViews = region(0);
    this.gradViews = region(1);
    this.stateViews = names.map((_, k) => region(2 + k));
    this.rowIndices = new Int32Array(buffer, indicesAddress, maxRows);
    this.normValues = new Float64Array(buffer, normsAddress, 2 * Math.max(1, list.length));
    for (const [name, value] of Object.entries(options.initial ?? {})) {
      if (value !== 0) list.forEach((_, i) => this.state(name, i).fill(value));
    }
    list.forEach((p, i) => {
      this.paramViews[i]!.set(p.data);
      p.data = this.paramViews[i]!;
      p.gradBuffer = this.gradViews[i]!;
    });
    // When the arena is collected, its block stays while a live param still reads from it (a
    // model outlives its optimizer).
    releaseWhenUnused(this, this.block, stillReadBy(list, this.paramViews, this.gradViews));
  }

  /** Byte distance from a param's values to its gradient. */
  get gradOffset(): number {
    return this.regionBytes;
  }

  /** Byte distance from a param's values to its state array `name`. */
  stateOffset(name: string): number {
    const k = this.stateNames.indexOf(name);
    if (k < 0) throw new Error(`ParamArena: no state array '${name}' (this arena has ${this.stateNames.join(', ') || 'none'})`);
    return this.regionBytes * (2 + k);
  }

  /** Byte address of param i's values. */
  address(i: number): number {
    return this.addresses[i]!;
  }

  count(i: number): number {
    return this.counts[i]!;
  }

  /** Param i's values (the view its `data` is bound to). */
  paramView(i: number): Float32Array {
    return this.paramViews[i]!;
  }

  /** Param i's gradient slot (its `gradBuffer`). */
  gradView(i: number): Float32Array {
    return this.gradViews[i]!;
  }

  /** Param i's state array `name`, as a live view. */
  state(name: string, i: number): Float32Array {
    const k = this.stateNames.indexOf(name);
    if (k < 0) throw new Error(`ParamArena: no state array '${name}' (this arena has ${this.stateNames.join(', ') || 'none'})`);
    return this.stateViews[k]![i]!;
  }

  /** Whether this arena was built for exactly these params, in this order. */
  holds(params: readonly Tensor[]): boolean {
    if (params.length !== this.params.length) return false;
    for (let i = 0; i < params.length; i++) if (params[i] !== this.params[i]) return false;
    return true;
  }

  /**
   * Makes param i's state tensors views into the arena, as the constructor does for params: a
   * state array that is not one yet (fresh state, a loaded state dict, a tensor the user
   * replaced, state from an earlier arena) is copied in and its tensor's `data` rebound.
   * Entries the arena keeps no array for, and null ones, are left as they are.
   */
  bindState(i: number, state: Readonly<Record<string, unknown>>): void {
    const names = this.stateNames;
    for (let k = 0; k < names.length; k++) {
      const value = state[names[k]!];
      if (value === null || value === undefined) continue;
      const view = this.stateViews[k]![i]!;
      if ((value as Tensor).data === view) continue;
      if (!(value instanceof Tensor)) throw new TypeError(`ParamArena: state '${names[k]}' of parameter ${i} is not a tensor`);
      if (value.data.length !== view.length) {
        throw new RangeError(`ParamArena: state '${names[k]}' of parameter ${i} has ${value.data.length} values, the parameter ${view.length}`);
      }
      view.set(value.data);
      value.data = view;
    }
  }

  /**
   * Brings back any param whose `data` was replaced since the arena was built (a loaded state
   * dict, a user's `p.data = …`): copies the new values in and rebinds `data` and `gradBuffer`.
   */
  syncParams(): void {
    for (let i = 0; i < this.params.length; i++) this.syncParam(i);
  }

  /** `syncParams` for param i alone. */
  syncParam(i: number): void {
    const p = this.params[i]!;
    const view = this.paramViews[i]!;
    if (p.data === view) return;
    if (p.data.length !== view.length) throw new RangeError(`ParamArena: parameter ${i} now has ${p.data.length} values, the arena holds ${view.length}`);
    view.set(p.data);
    p.data = view;
    p.gradBuffer = this.gradViews[i]!;
  }

  /**
   * Makes param i's gradient available to the kernels: a dense gradient that backward wrote
   * into the arena stays where it is; one made elsewhere (a user's `p.grad = …`) is copied into
   * the gradient slot. A sparse gradient is left for `stageRows`.
   */
  stageGrad(i: number): GradKind {
    const grad = this.params[i]!.grad;
    if (grad === null) return 'none';
    if (grad instanceof SparseRows) return 'sparse';
    const slot = this.gradViews[i]!;
    if (grad.data !== slot) {
      if (grad.data.length !== slot.length) throw new RangeError(`ParamArena: gradient of parameter ${i} has ${grad.data.length} values, the parameter ${slot.length}`);
      slot.set(grad.data);
    }
    return 'dense';
  }

  /**
   * `stageGrad` for every param, in one pass: the indices of the params with a dense gradient
   * and of those with a sparse one (lists reused by the next call).
   */
  stageGrads(): StagedGrads {
    const { dense, sparse } = this.staged;
    dense.length = 0;
    sparse.length = 0;
    const params = this.params;
    const slots = this.gradViews;
    for (let i = 0; i < params.length; i++) {
      const grad = params[i]!.grad;
      if (grad === null) continue;
      // The usual case first: backward wrote the gradient into the arena.
      // (`isSparse`, not `instanceof`: an instanceof test costs ten times the rest of this loop.)
      if (!grad.isSparse && grad.data === slots[i]) dense.push(i);
      else if (this.stageGrad(i) === 'dense') dense.push(i);
      else sparse.push(i);
    }
    this.staged.allDense = dense.length === params.length;
    return this.staged;
  }

  /**
   * Coalesces param i's row-sparse gradient into the arena: unique row indices into the index
   * scratch, each row's summed values (repeated rows add up, in the order they come, as
   * PyTorch's `coalesce()` sums them) packed into the param's gradient slot, which a sparse
   * gradient leaves free (coalesced rows never outnumber the param's rows). Rows stay in
   * first-seen order, not sorted: each row is updated once either way, so the result is the
   * same, and a row → slot table makes this one pass with no sort.
   */
  stageRows(i: number, sparse: SparseRows): StagedRows {
    const p = this.params[i]!;
    if (this.rowIndices.length < (p.shape[0] ?? 1)) throw new Error('ParamArena: this arena was built without row-index space (sparseRows: false), so it cannot stage a row-sparse gradient');
    if (sparse.shape.length !== p.shape.length || sparse.shape.some((d, k) => d !== p.shape[k])) {
      throw new RangeError(`ParamArena: sparse gradient of shape [${sparse.shape.join(', ')}] does not match parameter ${i} of shape [${p.shape.join(', ')}]`);
    }
    const width = p.shape[0] === 0 ? 0 : p.data.length / p.shape[0]!;
    const rowsIn = sparse.indices;
    const source = sparse.values.data;
    const slotOf = this.rowSlots(p.shape[0]!);
    const indices = this.rowIndices;
    const values = this.gradViews[i]!;
    let unique = 0;
    for (let r = 0; r < rowsIn.length; r++) {
      const row = rowsIn[r]!;
      let slot = slotOf[row]!;
      const from = r * width;
      if (slot < 0) {
        slot = unique++;
        slotOf[row] = slot;
        indices[slot] = row;
        const to = slot * width;
        for (let j = 0; j < width; j++) values[to + j] = source[from + j]!;
      } else {
        const to = slot * width;
        for (let j = 0; j < width; j++) values[to + j]! += source[from + j]!;
      }
    }
    for (let s = 0; s < unique; s++) slotOf[indices[s]!] = -1;
    const staged = this.rowsStaged;
    staged.rows = unique;
    staged.width = width;
    staged.indicesAddress = this.indicesAddress;
    staged.valuesAddress = this.addresses[i]! + this.regionBytes;
    return staged;
  }

  /** Row → slot table for coalescing, all −1 between calls; made on first use. */
  private rowSlots(rows: number): Int32Array {
    if (this.slots === null || this.slots.length < rows) this.slots = new Int32Array(rows).fill(-1);
    return this.slots;
  }

  /**
   * Writes the segment table for the params listed in `indices` (ascending) and returns the
   * number of entries. Neighbouring params merge into one segment, unless `separate` asks for
   * one entry per param (norms; per-param scales for LARS and LAMB, set by `setSegmentScales`).
   * A table the same as the one written last is not written again: kernels only read it. A
   * frozen list (a fused plan's run) that the table was written for is known by identity, with
   * no pass over it.
   */
  writeSegments(indices: readonly number[], separate = false): number {
    if (this.tableEntries >= 0 && separate === this.tableSeparate && (separate || !this.tableScaled)) {
      if (indices === this.tableFrozenList) return this.tableEntries;
      if (sameList(indices, this.tableIndices)) {
        if (Object.isFrozen(indices)) this.tableFrozenList = indices;
        return this.tableEntries;
      }
    }
    this.tableEntries = -1;
    this.tableFrozenList = null;
    const entries = this.writeSegmentsChecked(indices, separate);
    const kept = this.tableIndices;
    for (let k = 0; k < indices.length; k++) kept[k] = indices[k]!;
    if (kept.length !== indices.length) kept.length = indices.length;
    this.tableSeparate = separate;
    this.tableScaled = false;
    this.tableEntries = entries;
    if (Object.isFrozen(indices)) this.tableFrozenList = indices;
    return entries;
  }

  private writeSegmentsChecked(indices: readonly number[], separate: boolean): number {
    let entries = 0;
    let last = -2;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!(i >= 0 && i < this.params.length) || !Number.isInteger(i)) throw new RangeError(`ParamArena: no parameter ${i} (the arena holds ${this.params.length})`);
      if (i <= last) throw new RangeError('ParamArena: segment indices must be ascending and distinct');
      const at = this.tableAddress + ENTRY_BYTES * entries;
      if (!separate && i === last + 1 && entries > 0) {
        const previous = at - ENTRY_BYTES;
        const start = this.table.getUint32(previous, true);
        this.table.setInt32(previous + 4, (this.addresses[i]! - start) / 4 + this.counts[i]!, true);
      } else {
        this.table.setUint32(at, this.addresses[i]!, true);
        this.table.setInt32(at + 4, this.counts[i]!, true);
        this.table.setFloat32(at + 8, 1, true);
        entries++;
      }
      last = i;
    }
    return entries;
  }

  /** Sets the scales of the first `count` entries of the table now written (LARS, LAMB). */
  setSegmentScales(scales: ArrayLike<number>, count = scales.length): void {
    if (count > Math.max(this.tableEntries, 0)) throw new RangeError(`ParamArena: ${count} scales for a table of ${Math.max(this.tableEntries, 0)} entries`);
    for (let s = 0; s < count; s++) this.table.setFloat32(this.tableAddress + ENTRY_BYTES * s + 8, scales[s]!, true);
    this.tableScaled = true;
  }

  /**
   * The f64 norms the last norm pass wrote: `perSegment` (1 or 2) per segment, segment after
   * segment. A live view of the arena, shared by every call: read it before the next pass.
   */
  get norms(): Float64Array {
    return this.normValues;
  }
}

/**
 * Whether a param still reads from the arena's block: its values or gradient are still the
 * arena's views. Built outside the constructor so that the closure holds the views and weak
 * references only: a closure made in the constructor would share its scope, which holds the
 * arena and its params, and keep them alive for ever.
 */
function stillReadBy(params: readonly Tensor[], paramViews: readonly Float32Array[], gradViews: readonly Float32Array[]): () => boolean {
  const held = params.map((p) => new WeakRef(p));
  return () =>
    held.some((ref, i) => {
      const p = ref.deref();
      return p !== undefined && (p.data === paramViews[i] || p.gradBuffer === gradViews[i] || (p.grad !== null && !p.grad.isSparse && p.grad.data === gradViews[i]));
    });
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * The scheduler classes' common base: PyTorch's `LRScheduler` bookkeeping (base lrs, the
 * epoch counter, `step()`, `getLastLr()`, state dicts) over an optimizer's live param groups.
 *
 * A subclass only says how the lrs at an epoch follow from a pure schedule in `schedules.ts`:
 * {@link ChainableLR} rescales the current lr by the shape's ratio (PyTorch's recursive form),
 * {@link ScheduledLR} writes the closed form. `step()` computes every new value before it
 * writes any, so a schedule that throws (OneCycleLR past its last step) changes nothing.
 *
 * Compatibility: as in PyTorch, building a scheduler performs its first step (epoch 0) and
 * records `initialLr` in each param group (PyTorch's `initial_lr`). Unlike PyTorch,
 * `loadStateDict` refuses a state from another kind of scheduler or with other options (PyTorch
 * would silently adopt them), and state dicts are plain JSON.
 */
import { advance, fromShape, type DecayShape, type Schedule } from './schedules.js';
import { describe } from './validate.js';

/** The part of a param group that schedulers read and write. */
export interface SchedulableGroup {
  lr: number;
  /** The lr the first scheduler saw (PyTorch's `initial_lr`). */
  initialLr?: number;
  momentum?: number;
  betas?: readonly number[];
}

/** Anything with PyTorch-style param groups: descent's optimizers, or a plain object in tests. */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly SchedulableGroup[];
}

export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface SchedulerStateDict {
  /** The scheduler's class name. */
  kind: string;
  /** The options it was built with (functions left out). */
  options: JsonObject;
  lastEpoch: number;
  baseLrs?: number[];
  lastLr: number[];
  [extra: string]: JsonValue | undefined;
}

/** What `fit` and composite schedulers need from any scheduler. */
export interface Scheduler {
  readonly kind: string;
  readonly optimizer: SchedulableOptimizer;
  /** True when `step` needs the monitored metric (ReduceLROnPlateau). */
  readonly needsMetric: boolean;
  step(metric?: number): void;
  getLastLr(): number[];
  stateDict(): SchedulerStateDict;
  /** Restores a state from `stateDict()`; refuses (changing nothing) a state that does not fit. */
  loadStateDict(state: SchedulerStateDict): void;
  /**
   * Checks a state without applying it and returns the function that applies it, so a
   * composite scheduler (or a checkpoint) can check every part before changing any.
   */
  prepareStateDict(state: SchedulerStateDict): () => void;
}

/** Checks the optimizer's groups before anything touches them. */
export function groupsOf(optimizer: SchedulableOptimizer, where: string): readonly SchedulableGroup[] {
  const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new TypeError(`${where}: expected an optimizer with a non-empty paramGroups array, got ${describe(optimizer)}`);
  }
  groups.forEach((group: SchedulableGroup, i) => {
    if (typeof group?.lr !== 'number' || !Number.isFinite(group.lr)) {
      throw new TypeError(`${where}: paramGroups[${i}].lr must be a finite number, got ${describe(group?.lr)}`);
    }
  });
  return groups;
}

/** One value per group: a number for all of them, or a list with one entry per group. */
export function perGroup(where: string, name: string, value: number | readonly number[], groupCount: number, check: (where: string, name: string, v: unknown) => number): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groupCount) {
      throw new RangeError(`${where}: ${name} has ${value.length} values but the optimizer has ${groupCount} param groups`);
    }
    return value.map((v, i) => check(where, `${name}[${i}]`, v));
  }
  return new Array<number>(groupCount).fill(check(where, name, value));
}

/** Which field holds the momentum that cycling schedulers move: Adam's betas[0] or SGD's momentum. */
export type MomentumField = 'betas' | 'momentum';

export function momentumFieldOf(groups: readonly SchedulableGroup[], where: string): MomentumField {
  // PyTorch's OneCycleLR prefers betas when an optimizer has both.
  if (groups.every((g) => Array.isArray(g.betas) && typeof g.betas[0] === 'number')) return 'betas';
  if (groups.every((g) => typeof g.momentum === 'number')) return 'momentum';
  throw new TypeError(`${where}: cycleMomentum needs an optimizer whose param groups have momentum or betas; pass cycleMomentum: false`);
}

export function readMomentum(group: SchedulableGroup, field: MomentumField): number {
  return field === 'betas' ? group.betas![0]! : group.momentum!;
}

export function writeMomentum(group: SchedulableGroup, field: MomentumField, value: number): void {
  // A fresh betas array: the old one may be shared with the optimizer's defaults or other groups.
  if (field === 'betas') group.betas = [value, ...group.betas!.slice(1)];
  else group.momentum = value;
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined, where: string, key: string): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    // A cyclic or absurdly deep value (a hostile state) cannot be the options this scheduler wrote.
    throw new RangeError(`${where}.loadStateDict: option ${key} in the state is not plain JSON (cyclic or too deeply nested)`);
  }
}

/** A list of `length` finite numbers: a NaN or ∞ lr would poison every later step. */
function isFiniteList(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Checks the fields every scheduler state has; throws naming what does not fit. */
export function checkCommonState(state: SchedulerStateDict, kind: string, options: JsonObject, groupCount: number, where: string): void {
  if (state === null || typeof state !== 'object') throw new TypeError(`${where}.loadStateDict: expected a state object, got ${describe(state)}`);
  if (state.kind !== kind) throw new TypeError(`${where}.loadStateDict: the state is from a ${describe(state.kind)} scheduler, not ${kind}`);
  if (state.options === null || typeof state.options !== 'object' || Array.isArray(state.options)) {
    throw new TypeError(`${where}.loadStateDict: options must be an object, got ${describe(state.options)}`);
  }
  for (const key of new Set([...Object.keys(options), ...Object.keys(state.options)])) {
    if (!sameJson(options[key], Object.hasOwn(state.options, key) ? state.options[key] : undefined, where, key)) {
      throw new RangeError(`${where}.loadStateDict: option ${key} is ${JSON.stringify(state.options?.[key])} in the state but ${JSON.stringify(options[key])} here`);
    }
  }
  if (typeof state.lastEpoch !== 'number' || !Number.isInteger(state.lastEpoch) || state.lastEpoch < -1) {
    throw new RangeError(`${where}.loadStateDict: lastEpoch must be an integer ≥ −1, got ${describe(state.lastEpoch)}`);
  }
  if (!isFiniteList(state.lastLr, groupCount)) {
    throw new RangeError(`${where}.loadStateDict: lastLr must list ${groupCount} finite numbers (one per param group), got ${describe(state.lastLr)}`);
  }
  if (state.baseLrs !== undefined && !isFiniteList(state.baseLrs, groupCount)) {
    throw new RangeError(`${where}.loadStateDict: baseLrs must list ${groupCount} finite numbers (one per param group), got ${describe(state.baseLrs)}`);
  }
}

export abstract class LRScheduler implements Scheduler {
  readonly optimizer: SchedulableOptimizer;
  readonly kind: string;
  readonly needsMetric = false;
  /** Each group's lr at epoch 0 of the schedule. */
  baseLrs: number[];
  /** Steps taken; 0 right after construction (the constructor takes the first step). */
  lastEpoch = -1;
  protected lastLrs: number[] = [];
  protected readonly options: JsonObject;

  protected constructor(optimizer: SchedulableOptimizer, kind: string, options: JsonObject) {
    const groups = groupsOf(optimizer, kind);
    this.optimizer = optimizer;
    this.kind = kind;
    this.options = options;
    for (const group of groups) group.initialLr ??= group.lr;
    this.baseLrs = groups.map((g) => g.initialLr!);
  }

  protected get groups(): readonly SchedulableGroup[] {
    return this.optimizer.paramGroups;
  }

  /** The lrs after step `epoch` (the current lrs are in the groups). */
  protected abstract computeLrs(epoch: number): number[];

  /** The momenta after step `epoch`, for schedulers that cycle momentum; null otherwise. */
  protected computeMomenta(_epoch: number): number[] | null {
    return null;
  }

  /** The values at `epoch` regardless of the current lrs (PyTorch's `_get_closed_form_lr`). */
  protected closedFormLrs(epoch: number): number[] {
    return this.computeLrs(epoch);
  }

  /** Advances one epoch (or batch) and writes the new lrs into the param groups. */
  step(): void {
    const epoch = this.lastEpoch + 1;
    this.commit(epoch, this.computeLrs(epoch), this.computeMomenta(epoch));
  }

  /**
   * Sets the epoch and writes the closed-form values there (PyTorch's deprecated
   * `step(epoch)`; SequentialLR uses it to restart a schedule at a milestone).
   */
  jumpTo(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`${this.kind}.jumpTo: epoch must be an integer ≥ 0, got ${describe(epoch)}`);
    this.commit(epoch, this.closedFormLrs(epoch), this.computeMomenta(epoch));
  }

  protected commit(epoch: number, lrs: number[], momenta: number[] | null): void {
    const groups = this.groups;
    // A schedule can leave the numbers (ExponentialLR with γ = 1e308 overflows in a few steps):
    // refuse the step, changing nothing, rather than hand the optimizer an lr of ∞ or NaN.
    const bad = [...lrs, ...(momenta ?? [])].findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const what = bad < lrs.length ? `the lr of param group ${bad}` : `the momentum of param group ${bad - lrs.length}`;
      throw new RangeError(`${this.kind}: ${what} would be ${[...lrs, ...(momenta ?? [])][bad]} at epoch ${epoch}, which is not a finite number; check the scheduler's options`);
    }
    this.lastEpoch = epoch;
    groups.forEach((group, i) => {
      group.lr = lrs[i]!;
      if (momenta) this.writeMomentum(group, momenta[i]!);
    });
    this.lastLrs = groups.map((g) => g.lr);
  }

  protected writeMomentum(_group: SchedulableGroup, _value: number): void {
    throw new Error(`${this.kind}: this scheduler does not cycle momentum`);
  }

  /** Builds a subclass's first step (call at the end of the concrete constructor). */
  protected initialStep(): void {
    this.lastEpoch = -1;
    this.step();
  }

  /** The lrs the last step wrote, one per param group. */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  stateDict(): SchedulerStateDict {
    return {
      kind: this.kind,
      options: structuredClone(this.options),
      lastEpoch: this.lastEpoch,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLrs],
      ...this.extraState(),
    };
  }

  /** Restores a state from `stateDict()`; refuses (changing nothing) a state that does not fit. */
  loadStateDict(state: SchedulerStateDict): void {
    this.prepareStateDict(state)();
  }

  prepareStateDict(state: SchedulerStateDict): () => void {
    checkCommonState(state, this.kind, this.options, this.groups.length, this.kind);
    const baseLrs = state.baseLrs;
    if (baseLrs === undefined) throw new RangeError(`${this.kind}.loadStateDict: baseLrs is missing`);
    const applyExtra = this.checkExtraState(state);
    const lastLr = [...state.lastLr];
    return () => {
      this.lastEpoch = state.lastEpoch;
      this.baseLrs = [...baseLrs];
      this.lastLrs = lastLr;
      applyExtra();
    };
  }

  /** Subclass state beyond the common fields. */
  protected extraState(): Record<string, JsonValue> {
    return {};
  }

  /** Validates the subclass state and returns the function that applies it. */
  protected checkExtraState(_state: SchedulerStateDict): () => void {
    return () => {};
  }
}

/** PyTorch's recursive decays: each step rescales the current lr by the shape's ratio. */
export abstract class ChainableLR extends LRScheduler {
  protected readonly shape: DecayShape;

  protected constructor(optimizer: SchedulableOptimizer, kind: string, options: JsonObject, shape: DecayShape) {
    super(optimizer, kind, options);
    this.shape = shape;
  }

  protected computeLrs(epoch: number): number[] {
    return this.groups.map((group, i) => advance(this.shape, group.lr, this.baseLrs[i]!, epoch));
  }

  protected override closedFormLrs(epoch: number): number[] {
    return this.baseLrs.map((baseLr) => fromShape(baseLr, this.shape)(epoch));
  }

  /** The closed-form schedule this scheduler follows when nothing else edits the lr. */
  schedule(groupIndex = 0): Schedule {
    return fromShape(this.baseLrs[groupIndex]!, this.shape);
  }
}

/** Schedulers that write a closed form of the step, whatever the current lr is. */
export abstract class ScheduledLR extends LRScheduler {
  protected schedules: Schedule[] = [];

  protected computeLrs(epoch: number): number[] {
    return this.schedules.map((schedule) => schedule(epoch));
  }

  /** The schedule of one param group. */
  schedule(groupIndex = 0): Schedule {
    return this.schedules[groupIndex]!;
  }
}

/**
 * Composition: SequentialLR hands control from one scheduler to the next at milestones;
 * ChainedScheduler steps several chainable schedulers on the same groups, so their factors
 * multiply.
 *
 * Compatibility: PyTorch 1.13. SequentialLR resets the lrs to their initial values, rewinds
 * every child by one epoch and re-takes the first child's initial step; at a milestone it
 * restarts the next child at its epoch 0 through the closed form (PyTorch's `step(0)`), then
 * lets it step recursively.
 */
import { LRScheduler, checkCommonState, type JsonValue, type SchedulableOptimizer, type Scheduler, type SchedulerStateDict } from './scheduler.js';
import { describe, nonNegativeInteger, ownOptions } from './validate.js';

function childStates(state: SchedulerStateDict, count: number, where: string): SchedulerStateDict[] {
  const children = state.schedulers;
  if (!Array.isArray(children) || children.length !== count) {
    throw new RangeError(`${where}.loadStateDict: expected ${count} child scheduler states, got ${describe(children)}`);
  }
  return children as unknown as SchedulerStateDict[];
}

export interface SequentialLROptions {
  /** Schedulers built on the same optimizer, in order of use. */
  schedulers: readonly LRScheduler[];
  /** The epochs at which control passes to the next scheduler (one fewer than schedulers). */
  milestones: readonly number[];
}

export class SequentialLR implements Scheduler {
  readonly kind = 'SequentialLR';
  readonly needsMetric = false;
  readonly optimizer: SchedulableOptimizer;
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];
  lastEpoch: number;
  private lastLrs: number[];

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    const where = 'SequentialLR';
    const { schedulers, milestones } = ownOptions(where, options, ['schedulers', 'milestones']);
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new TypeError(`${where}: schedulers must be a non-empty array of schedulers, got ${describe(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TypeError(`${where}: schedulers[${i}] must be an epoch-based scheduler (not ${describe((s as { kind?: string })?.kind ?? s)})`);
      if (s.optimizer !== optimizer) throw new RangeError(`${where}: schedulers[${i}] belongs to a different optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(`${where}: ${schedulers.length} schedulers need ${schedulers.length - 1} milestones, got ${describe(milestones)}`);
    }
    milestones.forEach((m, i) => {
      nonNegativeInteger(where, `milestones[${i}]`, m);
      if (i > 0 && m < milestones[i - 1]!) throw new RangeError(`${where}: milestones must be non-decreasing, got ${milestones[i - 1]} before ${m}`);
    });
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = 0;
    for (const group of optimizer.paramGroups) group.lr = group.initialLr ?? group.lr;
    for (const scheduler of this.schedulers) scheduler.lastEpoch -= 1;
    this.schedulers[0]!.step();
    this.lastLrs = this.schedulers[0]!.getLastLr();
  }

  /** The index of the scheduler in charge at `epoch`. */
  private activeAt(epoch: number): number {
    let index = 0;
    while (index < this.milestones.length && this.milestones[index]! <= epoch) index++;
    return index;
  }

  step(): void {
    const epoch = this.lastEpoch + 1;
    const index = this.activeAt(epoch);
    const scheduler = this.schedulers[index]!;
    if (index > 0 && this.milestones[index - 1] === epoch) scheduler.jumpTo(0);
    else scheduler.step();
    this.lastEpoch = epoch;
    this.lastLrs = scheduler.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  stateDict(): SchedulerStateDict {
    return {
      kind: this.kind,
      options: { milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.kind) },
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLrs],
      schedulers: this.schedulers.map((s) => s.stateDict() as unknown as JsonValue),
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    this.prepareStateDict(state)();
  }

  prepareStateDict(state: SchedulerStateDict): () => void {
    const where = 'SequentialLR';
    const options = { milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.kind) };
    checkCommonState(state, this.kind, options, this.optimizer.paramGroups.length, where);
    const children = childStates(state, this.schedulers.length, where);
    const appliers = this.schedulers.map((s, i) => s.prepareStateDict(children[i]!));
    return () => {
      this.lastEpoch = state.lastEpoch;
      this.lastLrs = [...state.lastLr];
      for (const apply of appliers) apply();
    };
  }
}

/** Steps every scheduler in order on each `step()`; chainable factors multiply. */
export class ChainedScheduler implements Scheduler {
  readonly kind = 'ChainedScheduler';
  readonly needsMetric = false;
  readonly optimizer: SchedulableOptimizer;
  readonly schedulers: readonly Scheduler[];
  lastEpoch = 0;
  private lastLrs: number[];

  constructor(schedulers: readonly Scheduler[]) {
    const where = 'ChainedScheduler';
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new TypeError(`${where}: expected a non-empty array of schedulers, got ${describe(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (typeof s?.step !== 'function' || typeof s.stateDict !== 'function') throw new TypeError(`${where}: schedulers[${i}] is not a scheduler`);
      if (s.needsMetric) throw new TypeError(`${where}: schedulers[${i}] (${s.kind}) needs a metric on every step and cannot be chained`);
      if (s.optimizer !== schedulers[0]!.optimizer) throw new RangeError(`${where}: schedulers[${i}] belongs to a different optimizer than schedulers[0]`);
    });
    this.schedulers = [...schedulers];
    this.optimizer = schedulers[0]!.optimizer;
    this.lastLrs = this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const scheduler of this.schedulers) scheduler.step();
    this.lastEpoch += 1;
    this.lastLrs = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  stateDict(): SchedulerStateDict {
    return {
      kind: this.kind,
      options: { schedulers: this.schedulers.map((s) => s.kind) },
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLrs],
      schedulers: this.schedulers.map((s) => s.stateDict() as unknown as JsonValue),
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    this.prepareStateDict(state)();
  }

  prepareStateDict(state: SchedulerStateDict): () => void {
    const where = 'ChainedScheduler';
    checkCommonState(state, this.kind, { schedulers: this.schedulers.map((s) => s.kind) }, this.optimizer.paramGroups.length, where);
    const children = childStates(state, this.schedulers.length, where);
    const appliers = this.schedulers.map((s, i) => s.prepareStateDict(children[i]!));
    return () => {
      this.lastEpoch = state.lastEpoch;
      this.lastLrs = [...state.lastLr];
      for (const apply of appliers) apply();
    };
  }
}

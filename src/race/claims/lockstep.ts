/**
 * Many independent runs of one optimizer, stepped together: each configuration (a learning
 * rate and options) is a param group of a single optimizer, holding its own copy of the
 * problem's parameters. One `step()` advances every run that is still going, so a learning-rate
 * grid costs one optimizer's overhead, and "first configuration to reach the target" is known
 * the moment it happens. A run is retired by dropping its gradient (a parameter without a
 * gradient is left alone, as in PyTorch).
 *
 * Runs are independent only for optimizers whose update of a parameter tensor reads nothing
 * but that tensor (every per-coordinate method, and LAMB/LARS's per-tensor trust ratio);
 * L-BFGS and SAM take norms over all parameters and must not run here.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { Surface } from '../../surfaces/surface.js';
import { raceEntry } from '../entries.js';

/** A param group's overrides: the learning rate and any other option of the optimizer. */
export interface RunConfig {
  readonly lr: number;
  readonly [option: string]: number | boolean | readonly number[];
}

/** What lockstep runs need of an optimizer: param groups in, PyTorch's `step` out. */
export interface GroupOptimizer {
  step(): unknown;
}

/** A param group as the optimizer receives it: one run's parameter and that run's configuration. */
export interface RunGroup {
  readonly params: Tensor[];
  readonly lr: number;
  readonly [option: string]: unknown;
}

/** Builds an optimizer over param groups (`spec.create(groups, options)` of the registry). */
export type GroupOptimizerFactory = (groups: RunGroup[]) => GroupOptimizer;

/** Writes ∇f at the point `w` of run `run` into `out`. */
export type GradientFunction = (w: Float64Array, out: Float64Array, run: number) => void;

export class Lockstep {
  /** Each run's parameters (float64); read them between steps. */
  readonly points: Float64Array[];
  readonly active: boolean[];
  private readonly params: Tensor[];
  private readonly gradients: Tensor[];
  private readonly optimizer: GroupOptimizer;
  private taken = 0;

  /**
   * @param starts one start per configuration, or one shared by all (copied, never aliased)
   */
  constructor(
    create: GroupOptimizerFactory,
    readonly configs: readonly RunConfig[],
    starts: Float64Array | readonly Float64Array[],
    private readonly gradient: GradientFunction,
  ) {
    if (configs.length === 0) throw new RangeError('Lockstep: needs at least one configuration');
    const startOf = (k: number): Float64Array => (starts instanceof Float64Array ? starts : starts[k]!);
    if (!(starts instanceof Float64Array) && starts.length !== configs.length) throw new RangeError(`Lockstep: ${configs.length} configurations but ${starts.length} starts`);
    this.params = configs.map((_, k) => new Tensor(Float64Array.from(startOf(k)), [startOf(k).length], { requiresGrad: true }));
    this.gradients = this.params.map((p) => new Tensor(new Float64Array(p.data.length), [p.data.length]));
    this.optimizer = create(configs.map((config, k) => ({ ...config, params: [this.params[k]!] })));
    this.points = this.params.map((p) => p.data as Float64Array);
    this.active = configs.map(() => true);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.taken;
  }

  get anyActive(): boolean {
    return this.active.some(Boolean);
  }

  /** One step of every active run. */
  step(): void {
    this.params.forEach((p, k) => {
      if (!this.active[k]) return;
      const g = this.gradients[k]!;
      this.gradient(p.data as Float64Array, g.data as Float64Array, k);
      p.grad = g;
    });
    this.optimizer.step();
    this.taken += 1;
    // The optimizer may rebind a parameter's storage (the fused path's arena): read it afresh.
    this.params.forEach((p, k) => (this.points[k] = p.data as Float64Array));
  }

  /** The gradient run k was last given. */
  lastGradient(k: number): Float64Array {
    return this.gradients[k]!.data as Float64Array;
  }

  /** Stops run k: it keeps its last point and takes no more steps. */
  retire(k: number): void {
    this.active[k] = false;
    this.params[k]!.grad = null;
  }
}

export interface Winner {
  /** Steps the winning configuration took to reach the target; null when none did within the limit. */
  readonly steps: number | null;
  /** The winning configuration, or null. */
  readonly config: RunConfig | null;
}

/**
 * Runs every configuration from the same start until the first one brings f to `target`:
 * that configuration is the grid's best for "steps to target", and its step count is the
 * answer (a later finisher cannot beat it, so nothing more is run). A run that leaves
 * `divergeAbove` or turns non-finite is retired.
 */
export function firstToReach(
  create: GroupOptimizerFactory,
  configs: readonly RunConfig[],
  problem: { readonly start: Float64Array; value(w: Float64Array): number; gradient: GradientFunction },
  { target, maxSteps, divergeAbove }: { readonly target: number; readonly maxSteps: number; readonly divergeAbove: number },
): Winner {
  const runs = new Lockstep(create, configs, problem.start, problem.gradient);
  while (runs.steps < maxSteps && runs.anyActive) {
    runs.step();
    for (let k = 0; k < configs.length; k++) {
      if (!runs.active[k]) continue;
      const f = problem.value(runs.points[k]!);
      if (f <= target) return { steps: runs.steps, config: configs[k]! };
      if (!(f <= divergeAbove)) runs.retire(k);
    }
  }
  return { steps: null, config: null };
}

/**
 * The grid search both quadratic claims use: race a coarse grid, then a finer one built around
 * its winner, and keep whichever finished first (the coarse winner is usually in the fine grid too).
 */
export function coarseThenFine(
  create: GroupOptimizerFactory,
  coarse: readonly RunConfig[],
  refine: (winner: RunConfig) => readonly RunConfig[],
  problem: Parameters<typeof firstToReach>[2],
  limits: Parameters<typeof firstToReach>[3],
): Winner {
  const first = firstToReach(create, coarse, problem, limits);
  if (first.config === null) return first;
  const second = firstToReach(create, refine(first.config), problem, limits);
  return second.steps !== null && second.steps <= first.steps! ? second : first;
}

/** Learning rates an eighth of an octave apart, three either side of `lr`. */
export function eighthOctavesAround(lr: number): number[] {
  return [-3, -2, -1, 0, 1, 2, 3].map((k) => lr * 2 ** (k / 8));
}

/** 2^(k/perOctave) for every k with the value inside [low, high]: a grid even in log scale. */
export function octaveGrid(low: number, high: number, perOctave: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(Math.log2(low) * perOctave - 1e-9); k <= Math.floor(Math.log2(high) * perOctave + 1e-9); k++) out.push(2 ** (k / perOctave));
  return out;
}

/** Race entry `id` over param groups, with the entry's own options under each group's. */
export function entryGroupFactory(id: string): GroupOptimizerFactory {
  const entry = raceEntry(id);
  if (entry.wrapper !== null) throw new RangeError(`${id} wraps another optimizer and cannot run in lockstep`);
  return (groups) => entry.spec.create(groups as never, { ...entry.options, lr: groups[0]!.lr } as never);
}

/**
 * The gradient of many independent starts on a 2-D surface held in one vector (x₀, y₀, x₁, y₁, …):
 * a per-coordinate optimizer treats them as separate runs.
 */
export function manyStarts(surface: Surface): GradientFunction {
  const pair: [number, number] = [0, 0];
  return (w, out) => {
    for (let k = 0; 2 * k < w.length; k++) {
      surface.gradient(w[2 * k]!, w[2 * k + 1]!, pair);
      out[2 * k] = pair[0];
      out[2 * k + 1] = pair[1];
    }
  };
}

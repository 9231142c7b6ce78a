/**
 * `descent run`: one optimizer on one surface, its trajectory as CSV or JSON.
 */
import { Tensor } from '../../tensor/tensor.js';
import { optimizerSpecs, wrapperSpecs } from '../../optim/registry.js';
import { surfaceNames, surfaces, type Surface } from '../../surfaces/index.js';
import { surfacePath, type OptimizerFactory, type OptimizerLike } from '../../race/harness.js';
import { UsageError } from '../errors.js';
import { chooseOptimizer, optionsFromFlags } from '../flags.js';

export interface RunOptions {
  readonly optimizer: string;
  readonly base?: string;
  readonly surface: string;
  readonly lr?: string;
  readonly steps: string;
  readonly format: string;
  readonly start?: string;
  /** Every other flag the command received, by camelCase option name. */
  readonly optimizerFlags: Readonly<Record<string, unknown>>;
}

export const RUN_FORMATS = ['csv', 'json'] as const;

/**
 * The most steps `run` takes. The path is streamed, so memory does not bound it; this keeps a
 * typo (1e12) from starting a run that cannot end.
 */
export const MAX_RUN_STEPS = 1e9;

/** A step count: a positive integer, written out or in exponent form (`1e6`), at most `max`. */
function parseStepCount(text: string, flag: string, max: number): number {
  const value = Number(text);
  if (!/^\s*(\d+|\d+(\.\d+)?e\+?\d+)\s*$/i.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: expected a positive integer`);
  }
  if (value > max) throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: at most ${max.toLocaleString('en-US')} steps`);
  return value;
}

function parseStart(text: string, surface: Surface): [number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || text.split(',').some((p) => p.trim() === '')) {
    throw new UsageError(`invalid value ${JSON.stringify(text)} for --start: expected two numbers "x,y" (${surface.name}'s domain is x in [${surface.domain.x.min}, ${surface.domain.x.max}], y in [${surface.domain.y.min}, ${surface.domain.y.max}])`);
  }
  return [parts[0]!, parts[1]!];
}

/** A checked run: everything `streamTrajectory` needs, with no mistake left to find. */
export interface TrajectoryPlan {
  readonly optimizer: string;
  readonly base: string | null;
  readonly options: Record<string, unknown>;
  readonly surface: Surface;
  readonly start: [number, number];
  readonly steps: number;
  readonly lr: number;
  readonly factory: OptimizerFactory;
  /** The point as a 1 × 2 matrix, for an optimizer of matrices only (Muon). */
  readonly asMatrix: boolean;
}

/** Checks every flag before anything runs; every mistake is a UsageError naming it. */
export function planTrajectory(options: RunOptions): TrajectoryPlan {
  const surface = surfaces.find((s) => s.name === options.surface.trim().toLowerCase());
  if (!surface) throw new UsageError(`unknown surface ${JSON.stringify(options.surface)}; valid: ${surfaceNames.join(', ')}`);
  if (!(RUN_FORMATS as readonly string[]).includes(options.format)) throw new UsageError(`invalid value ${JSON.stringify(options.format)} for --format; valid: ${RUN_FORMATS.join(', ')}`);
  const chosen = chooseOptimizer(options.optimizer, options.base);
  if (chosen.optimizer.gradients === 'sparse') {
    throw new UsageError(`${chosen.optimizer.id} takes row-sparse gradients only, and a surface's gradient is dense; use one of: ${surfaceCapable().join(', ')}`);
  }
  const steps = parseStepCount(options.steps, '--steps', MAX_RUN_STEPS);
  const start = options.start === undefined ? ([surface.start[0], surface.start[1]] as [number, number]) : parseStart(options.start, surface);
  const { inner, wrapper } = optionsFromFlags(chosen, options.optimizerFlags);
  const defaultLr = (chosen.optimizer.defaults as { lr?: number }).lr;
  let lr: number;
  if (options.lr === undefined) {
    if (defaultLr === undefined) throw new UsageError(`--lr is required for ${chosen.optimizer.id} (PyTorch gives it no default), e.g. --lr 0.01`);
    lr = defaultLr;
  } else {
    lr = Number(options.lr);
    if (options.lr.trim() === '' || !Number.isFinite(lr) || lr < 0) throw new UsageError(`invalid value ${JSON.stringify(options.lr)} for --lr: expected a number ≥ 0`);
  }
  const factory: OptimizerFactory = (params, rate) => {
    const optimizer = chosen.optimizer.create(params, { ...inner, lr: rate });
    return (chosen.wrapper ? chosen.wrapper.create(optimizer, wrapper) : optimizer) as unknown as OptimizerLike;
  };
  // Build once up front so that the optimizer's own checks (PyTorch's) become usage errors.
  // An optimizer of matrices only (Muon) sees the point as a 1 × 2 matrix.
  const asMatrix = chosen.optimizer.acceptsParam?.([2]) != null;
  try {
    factory([surfaceProbe(asMatrix)], lr);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    optimizer: chosen.wrapper ? chosen.wrapper.id : chosen.optimizer.id,
    base: chosen.wrapper ? chosen.optimizer.id : null,
    options: { lr, ...inner, ...wrapper },
    surface,
    start,
    steps,
    lr,
    factory,
    asMatrix,
  };
}

/** Optimizers that take a surface's dense gradient. */
function surfaceCapable(): string[] {
  return [...optimizerSpecs.filter((s) => s.gradients !== 'sparse').map((s) => s.id), ...wrapperSpecs.map((w) => w.id)];
}

/** A throwaway 2-D parameter, to let the optimizer check its options before the run. */
function surfaceProbe(asMatrix: boolean): Tensor {
  return new Tensor(new Float64Array(2), asMatrix ? [1, 2] : [2], { requiresGrad: true });
}

/** How many points are written at once: few enough to stay small, enough to keep writes cheap. */
const POINTS_PER_WRITE = 4096;

/**
 * Runs a plan and writes its path as it goes (CSV rows, or JSON whose `points` come before
 * `diverged`), a chunk at a time, waiting for each `write` to settle: memory stays flat however
 * many steps were asked for, and a reader that goes away stops the run.
 */
export async function streamTrajectory(plan: TrajectoryPlan, format: string, write: (text: string) => Promise<void>): Promise<void> {
  const json = format === 'json';
  if (json) {
    const { optimizer, base, options, start, steps } = plan;
    const header = JSON.stringify({ optimizer, base, options, surface: plan.surface.name, start, steps }, null, 2);
    await write(`${header.slice(0, -2)},\n  "points": [`);
  } else {
    await write('step,x,y,value\n');
  }
  const path = surfacePath(plan.surface, plan.factory, plan.lr, { steps: plan.steps, start: plan.start, asMatrix: plan.asMatrix });
  let chunk: string[] = [];
  for (let next = path.next(); ; next = path.next()) {
    if (next.done) {
      if (json) chunk.push(`\n  ],\n  "diverged": ${next.value.diverged}\n}\n`);
      await write(chunk.join(''));
      return;
    }
    const { step, x, y, value } = next.value;
    chunk.push(json ? `${step === 0 ? '' : ','}\n    ${JSON.stringify(next.value)}` : `${step},${x},${y},${value}\n`);
    if (chunk.length === POINTS_PER_WRITE) {
      await write(chunk.join(''));
      chunk = [];
    }
  }
}

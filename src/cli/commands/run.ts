/**
 * `descent run`: one optimizer on one surface, its trajectory as CSV or JSON.
 */
import { Tensor } from '../../tensor/tensor.js';
import { optimizerSpecs, wrapperSpecs } from '../../optim/registry.js';
import { surfaceNames, surfaces, type Surface } from '../../surfaces/index.js';
import { runOnSurface, type OptimizerFactory, type OptimizerLike } from '../../race/harness.js';
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

function parsePositiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: expected a positive integer`);
  return value;
}

function parseStart(text: string, surface: Surface): [number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || text.split(',').some((p) => p.trim() === '')) {
    throw new UsageError(`invalid value ${JSON.stringify(text)} for --start: expected two numbers "x,y" (${surface.name}'s domain is x in [${surface.domain.x.min}, ${surface.domain.x.max}], y in [${surface.domain.y.min}, ${surface.domain.y.max}])`);
  }
  return [parts[0]!, parts[1]!];
}

export interface Trajectory {
  readonly optimizer: string;
  readonly base: string | null;
  readonly options: Record<string, unknown>;
  readonly surface: string;
  readonly start: [number, number];
  readonly steps: number;
  readonly diverged: boolean;
  readonly points: Array<{ step: number; x: number; y: number; value: number }>;
}

/** Runs the command's optimizer; every mistake in the flags is a UsageError naming it. */
export function runTrajectory(options: RunOptions): Trajectory {
  const surface = surfaces.find((s) => s.name === options.surface.trim().toLowerCase());
  if (!surface) throw new UsageError(`unknown surface ${JSON.stringify(options.surface)}; valid: ${surfaceNames.join(', ')}`);
  if (!(RUN_FORMATS as readonly string[]).includes(options.format)) throw new UsageError(`invalid value ${JSON.stringify(options.format)} for --format; valid: ${RUN_FORMATS.join(', ')}`);
  const chosen = chooseOptimizer(options.optimizer, options.base);
  if (chosen.optimizer.gradients === 'sparse') {
    throw new UsageError(`${chosen.optimizer.id} takes row-sparse gradients only, and a surface's gradient is dense; use one of: ${surfaceCapable().join(', ')}`);
  }
  const steps = parsePositiveInteger(options.steps, '--steps');
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
  const trace = runOnSurface(surface, factory, lr, { steps, start, asMatrix });
  const points = [];
  for (let t = 0; t <= trace.steps; t++) {
    const x = trace.points[2 * t]!;
    if (Number.isNaN(x)) break;
    points.push({ step: t, x, y: trace.points[2 * t + 1]!, value: trace.values[t]! });
  }
  return {
    optimizer: chosen.wrapper ? chosen.wrapper.id : chosen.optimizer.id,
    base: chosen.wrapper ? chosen.optimizer.id : null,
    options: { lr, ...inner, ...wrapper },
    surface: surface.name,
    start,
    steps,
    diverged: trace.diverged,
    points,
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

export function formatTrajectory(trajectory: Trajectory, format: string): string {
  if (format === 'json') return JSON.stringify(trajectory, null, 2) + '\n';
  const lines = ['step,x,y,value', ...trajectory.points.map((p) => `${p.step},${p.x},${p.y},${p.value}`)];
  return lines.join('\n') + '\n';
}

/**
 * One contestant's trajectory on a surface, step by step, through the library's own optimizer
 * classes. x and y are two float32 parameters of shape [1] (two "coordinate groups", so LAMB's
 * and LARS's per-tensor trust ratios have something to show); float32 is what takes the fused
 * WebAssembly kernels, as a training run does. Each step records what the views and the
 * explain panel show: the point, f, the gradient used, the optimizer's state after the step,
 * and the wrappers' extras. No DOM here: the browser tests and Node run the same code.
 */
import { Generator, Tensor, type Contestant, type SteppingOptimizer, type Surface } from './library.js';

export interface NoiseSettings {
  /** Standard deviation of the Gaussian added to each gradient coordinate (0: exact gradients). */
  readonly sigma: number;
  readonly seed: number;
}

export interface RunSettings {
  readonly surface: Surface;
  readonly start: readonly [number, number];
  readonly optimizerOptions: Readonly<Record<string, unknown>>;
  readonly wrapperOptions: Readonly<Record<string, unknown>>;
  readonly noise: NoiseSettings;
}

/** Why a run stopped before the learner stopped it. */
export type Stop = 'non-finite' | 'left the domain';

export interface StepRecord {
  /** The step number t (1 for the first step). */
  readonly t: number;
  /** θₜ₋₁: where the step started. */
  readonly from: readonly [number, number];
  /** θₜ: where it ended. */
  readonly to: readonly [number, number];
  /** f(θₜ). */
  readonly value: number;
  /** gₜ as the optimizer received it at θₜ₋₁ (noise included; SAM's first gradient). */
  readonly gradient: readonly [number, number];
  /** The last gradient the closure handed over (SAM: the one at its ascent point). */
  readonly lastGradient: readonly [number, number];
  /** ‖∇f(θₜ)‖ of the exact gradient at the new point (what the ‖∇f‖ chart draws). */
  readonly gradientNorm: number;
  /** The optimizer's state after the step, per entry as (x, y) (`exp_avg`, `sum`, `step`, ...). */
  readonly state: Readonly<Record<string, readonly [number, number]>>;
  /** Lookahead's slow weights φ after the step. */
  readonly slow?: readonly [number, number];
}

/** The noise of step t, the same for every contestant that shares the seed. */
export function noiseAt(noise: NoiseSettings, t: number, out: [number, number]): [number, number] {
  if (noise.sigma === 0) {
    out[0] = 0;
    out[1] = 0;
    return out;
  }
  // One generator per step keeps step t's noise independent of how many steps ran before,
  // so a contestant added later sees the same mini-batches as the others.
  const generator = new Generator(noise.seed * 1_000_003 + t);
  out[0] = noise.sigma * generator.normal();
  out[1] = noise.sigma * generator.normal();
  return out;
}

/** How far past the domain a point may go before the run counts as left (in domain widths). */
const DOMAIN_MARGIN = 2;

export class Trajectory {
  readonly records: StepRecord[] = [];
  readonly startValue: number;
  stopped: Stop | null = null;
  private readonly x: Tensor;
  private readonly y: Tensor;
  private readonly optimizer: SteppingOptimizer;
  private readonly noise: [number, number] = [0, 0];
  private readonly exact: [number, number] = [0, 0];
  private firstGradient: [number, number] | null = null;
  private lastGradient: [number, number] = [Number.NaN, Number.NaN];

  constructor(
    readonly contestant: Contestant,
    readonly settings: RunSettings,
  ) {
    const [x0, y0] = settings.start;
    this.x = new Tensor(Float32Array.of(x0), [1], { requiresGrad: true });
    this.y = new Tensor(Float32Array.of(y0), [1], { requiresGrad: true });
    this.optimizer = contestant.create([this.x, this.y], { ...settings.optimizerOptions }, { ...settings.wrapperOptions });
    this.startValue = settings.surface.value(this.x.data[0]!, this.y.data[0]!);
  }

  /** The options in force (the first param group's: presets, the learner's choices, PyTorch's defaults). */
  get group(): Readonly<Record<string, unknown>> {
    return this.optimizer.paramGroups[0]!;
  }

  get steps(): number {
    return this.records.length;
  }

  /** The current point (float32 values, read from the parameters). */
  point(): [number, number] {
    return [this.x.data[0]!, this.y.data[0]!];
  }

  /** One optimizer step; false once the run has stopped. */
  step(): boolean {
    if (this.stopped !== null) return false;
    const t = this.records.length + 1;
    const { surface } = this.settings;
    const from = this.point();
    noiseAt(this.settings.noise, t, this.noise);
    this.firstGradient = null;
    const closure = (): number => {
      const px = this.x.data[0]!;
      const py = this.y.data[0]!;
      surface.gradient(px, py, this.exact);
      const gx = this.exact[0] + this.noise[0];
      const gy = this.exact[1] + this.noise[1];
      this.firstGradient ??= [gx, gy];
      this.lastGradient = [gx, gy];
      this.x.grad = new Tensor(Float32Array.of(gx), [1]);
      this.y.grad = new Tensor(Float32Array.of(gy), [1]);
      return surface.value(px, py);
    };
    this.optimizer.step(closure);
    if (surface.clampToDomain) this.clamp();
    const to = this.point();
    const value = surface.value(to[0], to[1]);
    surface.gradient(to[0], to[1], this.exact);
    const gradient = this.firstGradient ?? [Number.NaN, Number.NaN];
    this.records.push({
      t,
      from,
      to,
      value,
      gradient: [Math.fround(gradient[0]), Math.fround(gradient[1])],
      lastGradient: [Math.fround(this.lastGradient[0]), Math.fround(this.lastGradient[1])],
      gradientNorm: Math.hypot(this.exact[0], this.exact[1]),
      state: this.stateSnapshot(),
      ...this.wrapperExtras(),
    });
    if (!(Number.isFinite(to[0]) && Number.isFinite(to[1]) && Number.isFinite(value)) || Math.abs(value) > 1e12) this.stopped = 'non-finite';
    else if (!nearDomain(surface, to)) this.stopped = 'left the domain';
    return this.stopped === null;
  }

  /** Steps until `count` steps are recorded or the run stops. */
  runTo(count: number): void {
    while (this.records.length < count && this.step()) {
      /* each step records itself */
    }
  }

  private clamp(): void {
    const { domain } = this.settings.surface;
    this.x.data[0] = Math.min(Math.max(this.x.data[0]!, domain.x.min), domain.x.max);
    this.y.data[0] = Math.min(Math.max(this.y.data[0]!, domain.y.min), domain.y.max);
  }

  /** The optimizer that owns the per-parameter state (the inner one of a wrapper). */
  private stateOwner(): { state?: Map<Tensor, Record<string, unknown>> } {
    const o = this.optimizer as unknown as { inner?: unknown; state?: Map<Tensor, Record<string, unknown>> };
    return (o.inner ?? o) as { state?: Map<Tensor, Record<string, unknown>> };
  }

  private stateSnapshot(): Record<string, [number, number]> {
    const state = this.stateOwner().state;
    const sx = state?.get(this.x);
    const sy = state?.get(this.y);
    const snapshot: Record<string, [number, number]> = {};
    if (sx === undefined || sy === undefined) return snapshot;
    for (const key of Object.keys(sx)) {
      const a = scalarOf(sx[key]);
      const b = scalarOf(sy[key]);
      if (a !== null && b !== null) snapshot[key] = [a, b];
    }
    return snapshot;
  }

  private wrapperExtras(): { slow?: [number, number] } {
    const o = this.optimizer as unknown as { slowWeightsOf?: (p: Tensor) => Tensor | undefined };
    if (typeof o.slowWeightsOf !== 'function') return {};
    const sx = o.slowWeightsOf(this.x);
    const sy = o.slowWeightsOf(this.y);
    return sx && sy ? { slow: [sx.data[0]!, sy.data[0]!] } : {};
  }
}

/** A state entry as one number: a counter, a scalar, or a one-element tensor; else null. */
function scalarOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (value instanceof Tensor && value.data.length === 1) return value.data[0]!;
  return null;
}

function nearDomain(surface: Surface, [x, y]: readonly [number, number]): boolean {
  const { x: rx, y: ry } = surface.domain;
  const mx = DOMAIN_MARGIN * (rx.max - rx.min);
  const my = DOMAIN_MARGIN * (ry.max - ry.min);
  return x >= rx.min - mx && x <= rx.max + mx && y >= ry.min - my && y <= ry.max + my;
}

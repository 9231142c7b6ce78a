/**
 * Claim 5: Adagrad's steps shrink until learning stops; RMSProp's do not. Adagrad and RMSProp
 * tracking a target that keeps moving, over several horizons and two tuning protocols (v1 had
 * one horizon, one seed, and a rule on effective-lr ratios).
 *
 * Linear regression y = xᵀw*(t) + 0.05·noise in d dimensions, mini-batches of 16 fresh
 * Gaussian inputs, where w*(t) turns at constant speed in a random plane (one turn per 250
 * steps, whatever the horizon): the answer never stops moving, so an optimizer must keep
 * learning. Every learning rate of an optimizer's grid runs in lockstep on the same stream of
 * batches; each step's loss is the batch's before the step (the online, prequential loss), so
 * every number is out-of-sample.
 *
 * One run of the longest horizon serves every horizon: a shorter horizon T is the same stream
 * cut at T, so its numbers are the run's first T steps.
 */
import { Generator } from '../../tensor/random.js';
import { raceEntry } from '../entries.js';
import { interval, verdictOf, winCount } from '../stats.js';
import { defineClaim, type Verdict } from '../types.js';
import { num } from './format.js';
import { Lockstep, entryGroupFactory, type GroupOptimizerFactory } from './lockstep.js';

export const STEPS_PER_TURN = 250;
export const DRIFT_BATCH = 16;
export const DRIFT_NOISE = 0.05;
/** Points of the effective-lr and loss curves per run. */
const PROBES = 48;

export interface DriftRunSpec {
  readonly seed: number;
  readonly dimension: number;
  /** The horizons measured, ascending; the run lasts the last one. */
  readonly horizons: readonly number[];
  readonly lrs: readonly number[];
}

export interface DriftWindows {
  /** Mean online loss over the first quarter of the horizon (protocol a tunes on it). */
  readonly firstQuarter: number;
  /** Mean online loss over the whole horizon (protocol b tunes on it). */
  readonly whole: number;
  /** Mean online loss over the last quarter: how well the target is still tracked. */
  readonly lastQuarter: number;
}

export interface DriftRunResult {
  /** windows[lr index][horizon index]; +∞ once a run diverged. */
  readonly windows: DriftWindows[][];
  /** The steps the curves below are sampled at. */
  readonly probeSteps: number[];
  /** Per lr: the median over coordinates of |Δw|/|g| at each probe step (exactly lr/(√state + ε) for Adagrad and RMSProp). */
  readonly effectiveLr: number[][];
  /** Per lr: the online loss averaged over the steps since the previous probe. */
  readonly lossCurve: number[][];
}

/** The unit vectors a, b of the plane the target turns in. */
function turningPlane(generator: Generator, d: number): [Float64Array, Float64Array] {
  const a = Float64Array.from({ length: d }, () => generator.normal());
  const b = Float64Array.from({ length: d }, () => generator.normal());
  const normalize = (v: Float64Array): void => {
    const length = Math.hypot(...v);
    v.forEach((x, i) => (v[i] = x / length));
  };
  normalize(a);
  const overlap = a.reduce((s, v, i) => s + v * b[i]!, 0);
  b.forEach((v, i) => (b[i] = v - overlap * a[i]!));
  normalize(b);
  return [a, b];
}

function mean(values: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let t = from; t < to; t++) sum += values[t]!;
  return sum / Math.max(1, to - from);
}

/** One optimizer's lr grid on the stream: its runs, their online losses and effective-lr probes. */
class DriftArm {
  readonly runs: Lockstep;
  readonly losses: Float64Array[];
  readonly effectiveLr: number[][];
  private readonly before: Float64Array[];

  constructor(create: GroupOptimizerFactory, lrs: readonly number[], steps: number, batch: DriftBatch) {
    const d = batch.dimension;
    this.losses = lrs.map(() => new Float64Array(steps).fill(Number.POSITIVE_INFINITY));
    this.effectiveLr = lrs.map(() => []);
    this.before = lrs.map(() => new Float64Array(d));
    this.runs = new Lockstep(create, lrs.map((lr) => ({ lr })), new Float64Array(d), (w, out, run) => (this.losses[run]![batch.step] = batch.lossAndGradient(w, out)));
  }

  step(t: number, probe: boolean): void {
    const { runs } = this;
    if (probe) this.before.forEach((b, k) => b.set(runs.points[k]!));
    runs.step();
    this.losses.forEach((curve, k) => {
      // A NaN anywhere in w makes the loss NaN, so the loss alone tells divergence.
      if (runs.active[k] && !(curve[t]! < 1e12)) {
        runs.retire(k);
        curve.fill(Number.POSITIVE_INFINITY, t);
      }
    });
    if (!probe) return;
    this.effectiveLr.forEach((values, k) => {
      const g = runs.lastGradient(k);
      const ratios = Array.from(g, (gi, i) => Math.abs(runs.points[k]![i]! - this.before[k]![i]!) / Math.abs(gi)).filter(Number.isFinite);
      ratios.sort((x, y) => x - y);
      values.push(runs.active[k] && ratios.length > 0 ? ratios[ratios.length >> 1]! : Number.NaN);
    });
  }
}

/** The current mini-batch of the stream, and the mean squared error's value and gradient on it. */
class DriftBatch {
  step = 0;
  readonly inputs: Float64Array;
  readonly targets = new Float64Array(DRIFT_BATCH);
  private readonly residual = new Float64Array(DRIFT_BATCH);
  private readonly target: Float64Array;
  private readonly plane: [Float64Array, Float64Array];

  constructor(
    readonly dimension: number,
    private readonly generator: Generator,
  ) {
    this.inputs = new Float64Array(DRIFT_BATCH * dimension);
    this.target = new Float64Array(dimension);
    this.plane = turningPlane(generator, dimension);
  }

  /** Draws the batch of step t: fresh inputs, labels from the target turned to its angle at t. */
  draw(t: number): void {
    const d = this.dimension;
    const [a, b] = this.plane;
    const angle = (2 * Math.PI * t) / STEPS_PER_TURN;
    this.step = t;
    for (let i = 0; i < d; i++) this.target[i] = Math.cos(angle) * a[i]! + Math.sin(angle) * b[i]!;
    for (let r = 0; r < DRIFT_BATCH; r++) {
      let y = 0;
      for (let i = 0; i < d; i++) {
        const x = this.generator.normal();
        this.inputs[r * d + i] = x;
        y += x * this.target[i]!;
      }
      this.targets[r] = y + DRIFT_NOISE * this.generator.normal();
    }
  }

  /** Writes ∇ of the batch's mean squared error, 2·mean(r·x), into `out`; returns the error. */
  lossAndGradient(w: Float64Array, out: Float64Array): number {
    const d = this.dimension;
    const { inputs, targets, residual } = this;
    let loss = 0;
    for (let r = 0; r < DRIFT_BATCH; r++) {
      let prediction = 0;
      for (let i = 0; i < d; i++) prediction += inputs[r * d + i]! * w[i]!;
      residual[r] = prediction - targets[r]!;
      loss += residual[r]! ** 2;
    }
    out.fill(0);
    for (let r = 0; r < DRIFT_BATCH; r++) for (let i = 0; i < d; i++) out[i]! += (2 * residual[r]! * inputs[r * d + i]!) / DRIFT_BATCH;
    return loss / DRIFT_BATCH;
  }
}

/**
 * Every optimizer's lr grid on one stream of batches (generated once, so the optimizers are
 * compared on the same data), for as long as the longest horizon.
 */
export function runDrift({ seed, dimension, horizons, lrs }: DriftRunSpec, optimizers: readonly GroupOptimizerFactory[]): DriftRunResult[] {
  const steps = horizons[horizons.length - 1]!;
  const batch = new DriftBatch(dimension, new Generator(seed));
  const arms = optimizers.map((create) => new DriftArm(create, lrs, steps, batch));
  const probeSteps = Array.from({ length: PROBES }, (_, p) => Math.floor(((p + 1) * steps) / PROBES) - 1);
  let nextProbe = 0;
  for (let t = 0; t < steps; t++) {
    batch.draw(t);
    const probe = t === probeSteps[nextProbe];
    if (probe) nextProbe += 1;
    for (const arm of arms) arm.step(t, probe);
  }
  return arms.map((arm) => ({
    windows: arm.losses.map((curve) =>
      horizons.map((horizon) => ({
        firstQuarter: mean(curve, 0, Math.floor(horizon / 4)),
        whole: mean(curve, 0, horizon),
        lastQuarter: mean(curve, horizon - Math.floor(horizon / 4), horizon),
      })),
    ),
    probeSteps,
    effectiveLr: arm.effectiveLr,
    lossCurve: arm.losses.map((curve) => probeSteps.map((step, p) => mean(curve, p === 0 ? 0 : probeSteps[p - 1]! + 1, step + 1))),
  }));
}

// ---------------------------------------------------------------------------------------------
// The claim

export const DRIFT_OPTIMIZERS = ['adagrad', 'rmsprop'] as const;
/** Half-decade learning rates, 1e-3 … 10: wide enough that a long horizon's Adagrad optimum lies inside. */
export const DRIFT_LRS = [1e-3, 3.16e-3, 1e-2, 3.16e-2, 0.1, 0.316, 1, 3.16, 10];
/** The protocol the verdict rests on (see the claim's method). */
export const DECISIVE_PROTOCOL: Protocol = 'first quarter';

export type Protocol = 'first quarter' | 'whole run';

interface Settings {
  readonly dimension: number;
  readonly horizons: readonly number[];
}

interface Spec {
  readonly seed: number;
  readonly settings: Settings;
}

/** The lr a protocol picks for one horizon: the lowest mean online loss over the window it tunes on (ties to the smaller lr). */
export function chosenLr(windows: readonly (readonly DriftWindows[])[], horizon: number, protocol: Protocol): number {
  let best = 0;
  const score = (k: number): number => {
    const w = windows[k]![horizon]!;
    const value = protocol === 'first quarter' ? w.firstQuarter : w.whole;
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
  };
  for (let k = 1; k < windows.length; k++) if (score(k) < score(best)) best = k;
  return best;
}

/** RMSProp tracks better when the interval of ln(Adagrad's late loss / RMSProp's) lies above 0. */
export function rmspropTracksBetter(logRatio: { readonly lo: number; readonly hi: number }): Verdict {
  return verdictOf(logRatio, 'above', 0);
}

export const drift = defineClaim<Settings, Spec, DriftRunResult[]>({
  id: 'drift',
  number: 5,
  title: "Adagrad's steps shrink until learning stops; RMSProp's do not",
  statement: "Adagrad divides by the sum of all past squared gradients, so its effective learning rate decays towards zero; RMSProp's moving average keeps it alive, which matters when the target moves.",
  literature: ['Duchi, Hazan & Singer (2011), Adaptive subgradient methods', 'Tieleman & Hinton (2012), Lecture 6.5, RMSProp'],
  requires: { all: ['adagrad', 'rmsprop'], oneOf: [] },
  budgets: {
    quick: { dimension: 10, horizons: [1000, 4000, 16000] },
    default: { dimension: 20, horizons: [1000, 4000, 16000] },
    full: { dimension: 20, horizons: [1000, 4000, 16000] },
  },
  shared: [],
  seeded: true,
  trials: (plan) => plan.seeds.map((seed) => ({ seed, settings: plan.settings })),
  runTrial: ({ seed, settings }) => runDrift({ seed, dimension: settings.dimension, horizons: settings.horizons, lrs: DRIFT_LRS }, DRIFT_OPTIMIZERS.map(entryGroupFactory)),
  conclude(done, plan) {
    const { horizons, dimension } = plan.settings;
    const longest = horizons.length - 1;
    const runOf = (seed: number, id: string): DriftRunResult => done.find((d) => d.spec.seed === seed)!.result[DRIFT_OPTIMIZERS.indexOf(id as (typeof DRIFT_OPTIMIZERS)[number])]!;
    const late = (seed: number, id: string, h: number, protocol: Protocol): number => {
      const run = runOf(seed, id);
      return run.windows[chosenLr(run.windows, h, protocol)]![h]!.lastQuarter;
    };
    const logRatio = (h: number, protocol: Protocol): number[] => plan.seeds.map((seed) => Math.log(late(seed, 'adagrad', h, protocol) / late(seed, 'rmsprop', h, protocol)));
    const protocols: Protocol[] = ['first quarter', 'whole run'];
    const effects = new Map(protocols.flatMap((p) => horizons.map((_, h) => [`${p} ${h}`, interval(logRatio(h, p))] as const)));
    const decisive = effects.get(`${DECISIVE_PROTOCOL} ${longest}`)!;
    const verdict = rmspropTracksBetter(decisive);
    const label = (id: string): string => raceEntry(id).label;
    const factor = (i: { mean: number; lo: number; hi: number }): string => `${num(Math.exp(i.mean))}× [${num(Math.exp(i.lo))}, ${num(Math.exp(i.hi))}]`;
    const lrsChosen = (id: string, h: number, protocol: Protocol): string => {
      const picked = plan.seeds.map((seed) => DRIFT_LRS[chosenLr(runOf(seed, id).windows, h, protocol)]!);
      const distinct = [...new Set(picked)].sort((a, b) => a - b);
      return distinct.map((lr) => num(lr)).join('/');
    };
    const atEdge = protocols.flatMap((p) => horizons.flatMap((_, h) => DRIFT_OPTIMIZERS.flatMap((id) => plan.seeds.filter((seed) => {
      const k = chosenLr(runOf(seed, id).windows, h, p);
      return k === 0 || k === DRIFT_LRS.length - 1;
    }).map((seed) => `${label(id)} seed ${seed} T = ${horizons[h]} (${p})`))));
    const meanLate = (id: string, h: number, protocol: Protocol): number => Math.exp(plan.seeds.reduce((s, seed) => s + Math.log(late(seed, id, h, protocol)), 0) / plan.seeds.length);
    // The effective lr of each optimizer's run at the lr the decisive protocol chose, first seed.
    const firstSeed = plan.seeds[0]!;
    const curves = DRIFT_OPTIMIZERS.map((id) => {
      const run = runOf(firstSeed, id);
      const k = chosenLr(run.windows, longest, DECISIVE_PROTOCOL);
      return { id, lr: DRIFT_LRS[k]!, effective: run.effectiveLr[k]!, loss: run.lossCurve[k]!, steps: run.probeSteps };
    });
    const decay = (c: (typeof curves)[number]): number => c.effective[c.effective.length - 1]! / c.effective[Math.floor(c.effective.length / 8)]!;
    const reversed = horizons.filter((_, h) => effects.get(`whole run ${h}`)!.hi < 0);
    return {
      verdict,
      rule: `holds when the 95 % interval of ln(Adagrad's online loss / RMSProp's) over the last quarter of the longest horizon (T = ${horizons[longest]}), each at the lr that minimized its loss over the first quarter (protocol a), lies above 0; does not hold here when it lies below; inconclusive when it straddles 0`,
      effect: decisive,
      perSeed: Object.fromEntries(protocols.flatMap((p) => horizons.map((T, h) => [`ln late-loss ratio T=${T} (${p})`, logRatio(h, p)] as const))),
      wins: winCount(plan.seeds.length, (k) => logRatio(longest, DECISIVE_PROTOCOL)[k]! > 0, `RMSProp tracks better than Adagrad at T = ${horizons[longest]} (protocol a)`),
      method:
        `Linear regression in ${dimension} dimensions whose true weights turn at constant speed in a random plane (one turn per ${STEPS_PER_TURN} steps), fresh mini-batches of ${DRIFT_BATCH} Gaussian inputs, noise ${DRIFT_NOISE}. ` +
        `The loss of a step is the batch's before the step (online loss). Horizons T ∈ {${horizons.join(', ')}}; the lr grid is ${DRIFT_LRS.map((lr) => num(lr)).join(', ')} for both. ` +
        `Protocol a tunes the lr on the first quarter of each horizon (as one tunes on a short run, then runs long); protocol b tunes it on the whole horizon (the lr knows how long it must last). ` +
        `Both report the mean online loss over the last quarter. The verdict rests on protocol a at the longest horizon: the claim is that a step size right for the start stops being right for Adagrad as its accumulator grows, which is what protocol a measures; b asks another question, whether a larger starting lr chosen for a known horizon can make up for the decay, and is reported beside it.`,
      summary:
        `Adagrad's late loss over RMSProp's at T = ${horizons[longest]}: ${factor(decisive)} with the lr tuned on the first quarter (Adagrad lr ${lrsChosen('adagrad', longest, 'first quarter')}, RMSProp ${lrsChosen('rmsprop', longest, 'first quarter')}); ` +
        `${factor(effects.get(`whole run ${longest}`)!)} with the lr tuned on the whole run (Adagrad lr ${lrsChosen('adagrad', longest, 'whole run')}, RMSProp ${lrsChosen('rmsprop', longest, 'whole run')}).`,
      interpretation:
        `Adagrad's effective lr lr/√(Σg²) only falls: in the run shown it ends at ${num(decay(curves[0]!))}× its value at one eighth of the run, while RMSProp's, lr/√(EMA of g²), ends at ${num(decay(curves[1]!))}×. ` +
        `On a target that never stops moving, a shrinking step falls further behind the longer the run lasts. Tuning on the first quarter picks an lr that is too small for the rest, so the gap there is large (${horizons.map((T, h) => `T = ${T}: ${factor(effects.get(`first quarter ${h}`)!)}`).join(', ')}). ` +
        `Tuning on the whole run lets Adagrad start with a larger lr that lasts longer (${horizons.map((T, h) => `T = ${T}: ${factor(effects.get(`whole run ${h}`)!)}`).join(', ')})` +
        (reversed.length > 0 ? ` and even reverses it at T = ${reversed.join(', ')}, where that larger lr is still large enough at the end` : '') +
        '.' +
        (atEdge.length > 0 ? ` The chosen lr sat at the edge of the grid for ${atEdge.join('; ')}.` : ''),
      values: {
        dimension,
        horizons: [...horizons],
        lrs: DRIFT_LRS,
        lateLoss: Object.fromEntries(
          protocols.map((p) => [p, Object.fromEntries(DRIFT_OPTIMIZERS.map((id) => [id, horizons.map((_, h) => meanLate(id, h, p))]))]),
        ),
        lateLossRatio: Object.fromEntries(protocols.map((p) => [p, horizons.map((_, h) => Math.exp(effects.get(`${p} ${h}`)!.mean))])),
        lrAtEdge: atEdge,
      },
      table: {
        headers: ['horizon', 'protocol', 'Adagrad lr', 'Adagrad late loss', 'RMSProp lr', 'RMSProp late loss', 'Adagrad / RMSProp (95 %)'],
        rows: horizons.flatMap((T, h) =>
          protocols.map((p) => [
            String(T),
            p === 'first quarter' ? 'a: first quarter' : 'b: whole run',
            lrsChosen('adagrad', h, p),
            num(meanLate('adagrad', h, p)),
            lrsChosen('rmsprop', h, p),
            num(meanLate('rmsprop', h, p)),
            factor(effects.get(`${p} ${h}`)!),
          ]),
        ),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-5-effective-lr',
          title: `Effective lr |Δw|/|g| (median), lr tuned on the first quarter, seed ${firstSeed}`,
          xLabel: 'step',
          yLabel: '|Δw| / |g|',
          logY: true,
          series: curves.map((c) => ({ label: `${label(c.id)} (lr ${num(c.lr)})`, color: c.id, points: c.steps.map((t, p) => [t + 1, c.effective[p]!] as const) })),
        },
        {
          kind: 'line',
          name: 'claim-5-tracking-loss',
          title: `Online loss on the turning target, seed ${firstSeed}`,
          xLabel: 'step',
          yLabel: `MSE, mean of ${Math.round(horizons[longest]! / curves[0]!.steps.length)} steps`,
          logY: true,
          series: curves.map((c) => ({ label: `${label(c.id)} (lr ${num(c.lr)})`, color: c.id, points: c.steps.map((t, p) => [t + 1, c.loss[p]!] as const) })),
        },
      ],
    };
  },
});

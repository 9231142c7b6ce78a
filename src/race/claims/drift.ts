/**
 * Claim 5: Adagrad's steps shrink until learning stops; RMSProp's do not. Linear regression
 * on a target that keeps turning, each optimizer tuned on the first quarter of the run.
 */
import { Tensor } from '../../tensor/tensor.js';
import { Generator } from '../../tensor/random.js';
import * as F from '../../nn/functional.js';
import { raceEntry } from '../entries.js';
import { smooth } from '../harness.js';
import { gradientCopies, l2, medianEffectiveLr, snapshot } from '../probes.js';
import { bestPoint, edgeExtension, lrGrid } from '../sweep.js';
import { defineClaim } from '../types.js';
import { curvePoints, num } from './format.js';

interface Settings {
  readonly steps: number;
  readonly dimension: number;
  readonly lrFactors: readonly number[];
}

interface Spec {
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  readonly settings: Settings;
}

interface Result {
  readonly losses: readonly number[];
  readonly effectiveLr: readonly number[];
  /** Mean loss over the first quarter: what the lr is tuned on. */
  readonly tuningScore: number;
}

/** Late/early effective-lr ratios that count as "shrank" (Adagrad) and "kept its step" (RMSprop). */
const ADAGRAD_DECAYED = 0.7;
const RMSPROP_KEPT = 0.8;
/** The drifting target's period, in steps. */
const STEPS_PER_TURN = 250;
const BATCH = 16;
const OPTIMIZERS = ['sgd', 'adagrad', 'rmsprop', 'adam'] as const;
const EDGE_EXTENSIONS = 2;

/**
 * The stream: the target w*(t) turns at constant speed in a random plane (one turn per
 * STEPS_PER_TURN steps, whatever the budget), so an optimizer must keep learning.
 */
function stream(seed: number, steps: number, d: number): { inputs: Tensor[]; targets: Tensor[] } {
  const generator = new Generator(seed + 5);
  const a = Float64Array.from({ length: d }, () => generator.normal());
  const b = Float64Array.from({ length: d }, () => generator.normal());
  const aNorm = l2(a);
  a.forEach((v, i) => (a[i] = v / aNorm));
  const overlap = a.reduce((s, v, i) => s + v * b[i]!, 0);
  b.forEach((v, i) => (b[i] = v - overlap * a[i]!));
  const bNorm = l2(b);
  b.forEach((v, i) => (b[i] = v / bNorm));
  const turn = (2 * Math.PI) / STEPS_PER_TURN;
  const inputs: Tensor[] = [];
  const targets: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const x = new Float32Array(BATCH * d);
    const y = new Float32Array(BATCH);
    const c = Math.cos(turn * t);
    const s = Math.sin(turn * t);
    for (let r = 0; r < BATCH; r++) {
      let dot = 0;
      for (let i = 0; i < d; i++) {
        const v = generator.normal();
        x[r * d + i] = v;
        dot += v * (c * a[i]! + s * b[i]!);
      }
      y[r] = dot + 0.05 * generator.normal();
    }
    inputs.push(new Tensor(x, [BATCH, d]));
    targets.push(new Tensor(y, [BATCH, 1]));
  }
  return { inputs, targets };
}

function runTrial(spec: Spec): Result {
  const { steps, dimension: d } = spec.settings;
  const { inputs, targets } = stream(spec.seed, steps, d);
  const w = new Tensor(new Float32Array(d), [d, 1], { requiresGrad: true });
  const optimizer = raceEntry(spec.optimizer).factory()([w], spec.lr);
  const losses = new Float64Array(steps);
  const effectiveLr = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const before = snapshot([w]);
    const loss = optimizer.step(() => {
      optimizer.zeroGrad();
      const value = F.mseLoss(inputs[t]!.matmul(w), targets[t]!);
      value.backward();
      return value;
    }) as Tensor;
    losses[t] = loss.item();
    effectiveLr[t] = medianEffectiveLr(before, [w], gradientCopies([w]));
    if (!Number.isFinite(losses[t]!)) {
      losses.fill(Number.POSITIVE_INFINITY, t);
      break;
    }
  }
  const tuningSteps = Math.floor(steps / 4);
  const tuningScore = losses.subarray(0, tuningSteps).reduce((s, v) => s + v, 0) / tuningSteps;
  return { losses: Array.from(losses), effectiveLr: Array.from(effectiveLr), tuningScore: Number.isNaN(tuningScore) ? Number.POSITIVE_INFINITY : tuningScore };
}

export const drift = defineClaim<Settings, Spec, Result>({
  id: 'drift',
  number: 5,
  title: "Adagrad's steps shrink until learning stops; RMSProp's do not",
  statement: "Adagrad divides by the sum of all past squared gradients, so its effective learning rate decays towards zero; RMSProp's moving average keeps it alive, which matters when the target moves.",
  literature: ['Tieleman & Hinton (2012), Lecture 6.5 — RMSProp', 'Duchi, Hazan & Singer (2011)'],
  requires: { all: ['adagrad', 'rmsprop'], oneOf: [] },
  budgets: {
    quick: { steps: 1000, dimension: 10, lrFactors: [0.3, 1, 3, 10] },
    default: { steps: 4000, dimension: 20, lrFactors: [0.1, 0.3, 1, 3, 10] },
    full: { steps: 10000, dimension: 40, lrFactors: [0.1, 0.2, 0.5, 1, 2, 5, 10] },
  },
  shared: [],
  seeded: true,
  trials(plan) {
    return OPTIMIZERS.filter((id) => plan.has(id)).flatMap((optimizer) => lrGrid(raceEntry(optimizer).centerLr.network, plan.settings.lrFactors).map((lr) => ({ optimizer, lr, seed: plan.seeds[0]!, settings: plan.settings })));
  },
  followUp(plan, done) {
    const grid = plan.settings.lrFactors;
    return OPTIMIZERS.filter((id) => plan.has(id)).flatMap((optimizer) => {
      const points = done.filter((d) => d.spec.optimizer === optimizer).map((d) => ({ lr: d.spec.lr, score: d.result.tuningScore }));
      const next = edgeExtension(points, grid[grid.length - 1]! / grid[grid.length - 2]!, points.length - grid.length, EDGE_EXTENSIONS);
      return next !== null && !points.some((p) => p.lr === next) ? [{ optimizer, lr: next, seed: plan.seeds[0]!, settings: plan.settings }] : [];
    });
  },
  runTrial,
  conclude(done, plan) {
    const { steps, dimension: d } = plan.settings;
    const results = OPTIMIZERS.filter((id) => plan.has(id)).map((id) => {
      const runs = done.filter((x) => x.spec.optimizer === id).map((x) => ({ lr: x.spec.lr, score: x.result.tuningScore, run: x.result }));
      const best = bestPoint(runs) ?? runs[0]!;
      return { id, lr: best.lr, run: best.run };
    });
    const window = (values: readonly number[], from: number, to: number): number => {
      const start = Math.floor(from * steps);
      const slice = values.slice(start, Math.max(start + 1, Math.floor(to * steps))).filter(Number.isFinite);
      return slice.reduce((s, v) => s + v, 0) / Math.max(1, slice.length);
    };
    const summaryOf = (id: string) => {
      const r = results.find((x) => x.id === id)!.run;
      const early = window(r.effectiveLr, 0.1, 0.2);
      const late = window(r.effectiveLr, 0.9, 1);
      return { early, late, ratio: late / early, earlyLoss: window(r.losses, 0.1, 0.2), lateLoss: window(r.losses, 0.9, 1) };
    };
    const adagrad = summaryOf('adagrad');
    const rmsprop = summaryOf('rmsprop');
    const holds = adagrad.ratio < ADAGRAD_DECAYED && rmsprop.ratio >= RMSPROP_KEPT && rmsprop.lateLoss < adagrad.lateLoss;
    const label = (id: string) => raceEntry(id).label;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: `holds when Adagrad's effective lr falls below ${ADAGRAD_DECAYED}× its early value, RMSprop's stays above ${RMSPROP_KEPT}× its own, and RMSprop tracks the target better late in the run (one seed)`,
      method: `Linear regression in ${d} dimensions whose true weights turn at constant speed in a random plane (one turn every ${STEPS_PER_TURN} steps, ${num(steps / STEPS_PER_TURN)} turns in ${steps} steps; mini-batches of ${BATCH}, noise 0.05). The effective learning rate of a step is the median over coordinates of |Δw|/|g| (exactly lr/(√state + ε) for Adagrad and RMSprop). Each optimizer's lr is the best of its default × ${plan.settings.lrFactors.map((f) => num(f)).join(', ')} (extended by up to two grid steps when the best lies at an end) by mean loss over the first quarter of the run, as one tunes on a short run before a long one. "Early" is steps 10–20% of the run, "late" the last 10%.`,
      summary: `Adagrad's effective lr falls to ${num(adagrad.ratio)}× its early value and its tracking loss goes from ${num(adagrad.earlyLoss)} to ${num(adagrad.lateLoss)}; RMSprop's effective lr is at ${num(rmsprop.ratio)}× and its loss goes from ${num(rmsprop.earlyLoss)} to ${num(rmsprop.lateLoss)}.`,
      interpretation: "Adagrad's denominator is a sum that only grows, so on a stream that never settles its step keeps shrinking; RMSProp's exponential average forgets old gradients and holds its step.",
      values: { dimension: d, steps, results: Object.fromEntries(results.map((r) => [r.id, { lr: r.lr, ...summaryOf(r.id) }])) },
      table: {
        headers: ['optimizer', 'lr', 'effective lr early', 'effective lr late', 'late / early', 'loss early', 'loss late'],
        rows: results.map((r) => {
          const s = summaryOf(r.id);
          return [label(r.id), num(r.lr), num(s.early), num(s.late), num(s.ratio), num(s.earlyLoss), num(s.lateLoss)];
        }),
      },
      figures: [
        { kind: 'line', name: 'claim-5-effective-lr', title: 'Effective learning rate |Δw|/|g| (median over coordinates)', xLabel: 'step', yLabel: '|Δw| / |g|', logY: true, series: results.map((r) => ({ label: `${label(r.id)} (lr ${r.lr})`, color: r.id, points: curvePoints(smooth(r.run.effectiveLr, 0.95)) })) },
        { kind: 'line', name: 'claim-5-tracking-loss', title: 'Tracking loss on the drifting target', xLabel: 'step', yLabel: 'mean squared error (EMA)', logY: true, series: results.map((r) => ({ label: label(r.id), color: r.id, points: curvePoints(smooth(r.run.losses, 0.95)) })) },
      ],
    };
  },
});

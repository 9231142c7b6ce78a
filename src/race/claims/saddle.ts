/**
 * Claim 1: saddle points slow plain gradient descent. Measured on the surface sweep's runs
 * (each optimizer at its tuned lr on the bounded saddle) and again with every optimizer at a
 * common small lr.
 */
import { raceEntry } from '../entries.js';
import { runSurfaceTrial, type SurfaceTrialSpec } from '../shared/surfaces.js';
import { defineClaim, type SurfaceRunData } from '../types.js';
import { ADAPTIVE_FAMILY, MOMENTUM_FAMILY, num } from './format.js';

/** |y| at which an optimizer has left the saddle's neighbourhood (the minima sit at |y| = √2). */
const ESCAPE_HEIGHT = 0.5;
/** A learning rate small enough for every optimizer, for the equal-lr comparison. */
const COMMON_LR = 0.01;
const SURFACE = 'bounded-saddle';

function stepsToEscape(points: readonly number[]): number | null {
  for (let t = 0; 2 * t + 1 < points.length; t++) if (Math.abs(points[2 * t + 1]!) >= ESCAPE_HEIGHT) return t;
  return null;
}

/** Fewest steps among the family's members in the race (Infinity when none escaped). */
function fastestOf(ids: readonly string[], steps: ReadonlyMap<string, number | null>): { id: string | null; steps: number } {
  let best: { id: string | null; steps: number } = { id: null, steps: Number.POSITIVE_INFINITY };
  for (const id of ids) {
    const s = steps.get(id);
    if (s === undefined) continue;
    const value = s ?? Number.POSITIVE_INFINITY;
    if (value < best.steps || best.id === null) best = { id, steps: value };
  }
  return best;
}

const pairsOf = (points: readonly number[]): Array<[number, number]> => Array.from({ length: points.length / 2 }, (_, t) => [points[2 * t]!, points[2 * t + 1]!] as [number, number]);

export const saddle = defineClaim<null, SurfaceTrialSpec, SurfaceRunData>({
  id: 'saddle',
  number: 1,
  title: 'Saddle points slow plain gradient descent',
  statement: 'Near a saddle point the gradient is tiny, so plain gradient descent lingers there; momentum and adaptive methods escape faster.',
  literature: ['Dauphin et al. (2014), Identifying and attacking the saddle point problem', 'Jin et al. (2017), How to escape saddle points efficiently'],
  requires: { all: ['sgd'], oneOf: [[...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY]] },
  budgets: { quick: null, default: null, full: null },
  shared: ['surfaces'],
  seeded: false,
  trials: (plan) => plan.entries.filter((e) => e.gradients !== 'sparse').map((e) => ({ surface: SURFACE, optimizer: e.id, lr: COMMON_LR, steps: plan.budget.surfaceSteps })),
  runTrial: (spec) => runSurfaceTrial(spec),
  conclude(done, plan) {
    const stage = plan.shared.surfaces!.surfaces.find((s) => s.surface === SURFACE)!;
    const steps = plan.shared.surfaces!.steps;
    const tuned = new Map<string, number | null>();
    const tunedLr = new Map<string, number>();
    for (const sweep of stage.sweeps) {
      const best = sweep.runs[sweep.best]!;
      tuned.set(sweep.optimizer, stepsToEscape(best.points));
      tunedLr.set(sweep.optimizer, best.lr);
    }
    const common = new Map(done.map((d) => [d.spec.optimizer, stepsToEscape(d.result.points)] as const));
    const sgd = tuned.get('sgd') ?? null;
    const momentum = fastestOf(MOMENTUM_FAMILY, tuned);
    const adaptive = fastestOf(ADAPTIVE_FAMILY, tuned);
    const sgdSteps = sgd ?? Number.POSITIVE_INFINITY;
    const holds = momentum.steps < sgdSteps || adaptive.steps < sgdSteps;
    const show = (s: number | null | undefined): string => (s === null || s === undefined ? `> ${steps}` : String(s));
    const commonBest = fastestOf([...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY], common);
    const label = (id: string) => raceEntry(id).label;
    const rule = `holds when the fastest momentum or adaptive method leaves the saddle (|y| ≥ ${ESCAPE_HEIGHT}) in fewer steps than SGD, each at its tuned lr`;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule,
      method: `On the bounded saddle f = x² − y² + y⁴/4 from its start 1e-3 off the saddle's stable axis: steps until |y| ≥ ${ESCAPE_HEIGHT} (halfway to the minima at ±√2), with each optimizer at the learning rate its sweep chose on this surface (${plan.budget.surfaceLrFactors.length} values, ${steps} steps, lowest final f), and again with every optimizer at lr ${COMMON_LR}. One start point: deterministic, no seeds.`,
      summary:
        `At tuned learning rates SGD leaves the saddle after ${show(sgd)} steps, ` +
        `${momentum.id ? `${label(momentum.id)} after ${show(tuned.get(momentum.id))}` : 'no momentum method ran'}, ` +
        `${adaptive.id ? `${label(adaptive.id)} after ${show(tuned.get(adaptive.id))}` : 'no adaptive method ran'}. ` +
        `At lr ${COMMON_LR} for all: SGD ${show(common.get('sgd'))}, fastest other ${commonBest.id ? `${label(commonBest.id)} ${show(common.get(commonBest.id))}` : '—'}.`,
      interpretation: `The escape rate along the unstable axis grows like (1 + lr·2)ᵗ for SGD; momentum multiplies the effective step by up to 1/(1 − μ) and adaptive methods normalize the tiny gradient, so both leave sooner at the same nominal lr. Tuned learning rates can hide this: SGD tuned for the surface takes a large step too.`,
      values: {
        escapeHeight: ESCAPE_HEIGHT,
        stepsToEscapeTuned: Object.fromEntries(tuned),
        stepsToEscapeCommonLr: Object.fromEntries(common),
        tunedLr: Object.fromEntries(tunedLr),
        commonLr: COMMON_LR,
      },
      table: {
        headers: ['optimizer', 'tuned lr', 'steps to escape (tuned lr)', `steps to escape (lr ${COMMON_LR})`],
        rows: stage.sweeps.map((s) => [label(s.optimizer), num(tunedLr.get(s.optimizer)), show(tuned.get(s.optimizer)), show(common.get(s.optimizer))]),
      },
      figures: [
        {
          kind: 'trajectories',
          name: 'claim-1-saddle-common-lr',
          title: `Bounded saddle, every optimizer at lr ${COMMON_LR}`,
          surface: SURFACE,
          series: done.map((d) => ({ label: label(d.spec.optimizer), color: d.spec.optimizer, points: pairsOf(d.result.points) })),
        },
      ],
    };
  },
});

/**
 * Claim 2: local minima trap plain gradient descent. v1 used one start and compared SGD with
 * the best of fifteen optimizers; here many random starts, matched effective steps (see
 * contestants.ts), Wilson intervals, and the optimizers that are trapped named.
 *
 * Which minimum of the two-well bowl f = x⁴/4 + x³/6 − 3x²/4 + y² each
 * optimizer ends in, from many random starts, at matched effective steps.
 *
 * The poor minimum (1, 0) and the better one (−1.5, 0) are separated by a hump at x = 0. Starts
 * are drawn uniformly from the half of the plot domain right of the hump (x₀ ∈ (0, 2.5],
 * y₀ ∈ [−1.5, 1.5]), where the poor minimum is the first one met: the lecture's situation.
 * A run ends where it is after the step budget: "global" or "local" within 0.25 of that minimum,
 * "unsettled" elsewhere, "diverged" when it left every bound.
 */
import { Generator } from '../../tensor/random.js';
import { twoWell } from '../../surfaces/functions.js';
import { nearestMinimum } from '../../surfaces/surface.js';
import { raceEntry } from '../entries.js';
import { interval, verdictOf, wilson, winCount } from '../stats.js';
import { defineClaim, type Verdict } from '../types.js';
import { num, percent } from './format.js';
import { Lockstep, entryGroupFactory, manyStarts } from './lockstep.js';
import { MOMENTUM_IDS, NORMALIZED_IDS, lockstepContestants, matchedLr } from './contestants.js';

export type Basin = 'global' | 'local' | 'unsettled' | 'diverged';
/** How near a minimum a run must end to count as in it. */
export const SETTLED_WITHIN = 0.25;
export const START_REGION = { x: [0, 2.5], y: [-1.5, 1.5] } as const;

export interface LocalMinimaTrialSpec {
  readonly seed: number;
  readonly optimizer: string;
  readonly starts: number;
  readonly effectiveSteps: readonly number[];
  readonly steps: number;
}

export interface LocalMinimaTrialResult {
  /** basins[η index][start]. */
  readonly basins: Basin[][];
}

export function twoWellStarts(seed: number, count: number): Float64Array {
  const generator = new Generator(seed);
  const { x, y } = START_REGION;
  const starts = new Float64Array(2 * count);
  for (let k = 0; k < count; k++) {
    // (0, 2.5]: 1 − uniform() avoids x₀ = 0, the top of the hump.
    starts[2 * k] = x[0] + (x[1] - x[0]) * (1 - generator.uniform());
    starts[2 * k + 1] = y[0] + (y[1] - y[0]) * generator.uniform();
  }
  return starts;
}

export function basinOf(x: number, y: number): Basin {
  if (!(Number.isFinite(x) && Number.isFinite(y)) || Math.abs(x) > 1e6 || Math.abs(y) > 1e6) return 'diverged';
  const nearest = nearestMinimum(twoWell, [x, y]);
  if (nearest === null || nearest.distance > SETTLED_WITHIN) return 'unsettled';
  return nearest.minimum.global ? 'global' : 'local';
}

export function runLocalMinimaTrial({ seed, optimizer, starts, effectiveSteps, steps }: LocalMinimaTrialSpec): LocalMinimaTrialResult {
  const runs = new Lockstep(entryGroupFactory(optimizer), effectiveSteps.map((eta) => ({ lr: matchedLr(optimizer, eta) })), twoWellStarts(seed, starts), manyStarts(twoWell));
  while (runs.steps < steps) runs.step();
  return {
    basins: effectiveSteps.map((_, e) => {
      const w = runs.points[e]!;
      return Array.from({ length: starts }, (_, k) => basinOf(w[2 * k]!, w[2 * k + 1]!));
    }),
  };
}

/** The share of runs (over starts and effective steps) that end in the global minimum. */
export function globalShare(basins: readonly (readonly Basin[])[]): { global: number; runs: number } {
  let global = 0;
  let runs = 0;
  for (const row of basins) {
    for (const basin of row) {
      runs += 1;
      if (basin === 'global') global += 1;
    }
  }
  return { global, runs };
}

// ---------------------------------------------------------------------------------------------
// The claim

/** A difference in global share smaller than this (2 percentage points) counts as none. */
export const SHARE_MARGIN = 0.02;

interface Settings {
  readonly starts: number;
  readonly effectiveSteps: readonly number[];
  readonly steps: number;
}

interface Spec {
  readonly seed: number;
  readonly optimizer: string;
  readonly settings: Settings;
}

/** Whether an optimizer ends in the global minimum more often than SGD: the interval of the per-seed share difference against the margin. */
export function escapesMoreOften(difference: { readonly lo: number; readonly hi: number }): Verdict {
  return verdictOf(difference, 'above', SHARE_MARGIN);
}

/** Trapped more often than SGD: the interval lies below −margin. */
export function trappedMoreOften(difference: { readonly lo: number; readonly hi: number }): boolean {
  return difference.hi < -SHARE_MARGIN;
}

export const localMinima = defineClaim<Settings, Spec, LocalMinimaTrialResult>({
  id: 'local-minima',
  number: 2,
  title: 'Local minima trap plain gradient descent',
  statement: 'Plain gradient descent settles in the first minimum it meets; momentum can carry an optimizer over a hump into a better one.',
  literature: ['Polyak (1964), heavy-ball method', 'Goh (2017), Why momentum really works, Distill'],
  requires: { all: ['sgd', 'momentum'], oneOf: [] },
  budgets: {
    quick: { starts: 200, effectiveSteps: [0.01, 0.03, 0.1, 0.3], steps: 1000 },
    default: { starts: 200, effectiveSteps: [0.01, 0.03, 0.1, 0.3], steps: 1000 },
    full: { starts: 200, effectiveSteps: [0.01, 0.03, 0.1, 0.2, 0.3], steps: 2000 },
  },
  shared: [],
  seeded: true,
  trials: (plan) => plan.seeds.flatMap((seed) => lockstepContestants(plan).map((optimizer) => ({ seed, optimizer, settings: plan.settings }))),
  runTrial: ({ seed, optimizer, settings }) => runLocalMinimaTrial({ seed, optimizer, ...settings }),
  conclude(done, plan) {
    const { starts, effectiveSteps, steps } = plan.settings;
    const ids = lockstepContestants(plan);
    const others = ids.filter((id) => id !== 'sgd');
    const basinsOf = (seed: number, id: string): Basin[][] => done.find((d) => d.spec.seed === seed && d.spec.optimizer === id)!.result.basins;
    const shares = (id: string): number[] =>
      plan.seeds.map((seed) => {
        const { global, runs } = globalShare(basinsOf(seed, id));
        return global / runs;
      });
    const sgdShares = shares('sgd');
    const differences = new Map(others.map((id) => [id, interval(shares(id).map((s, k) => s - sgdShares[k]!))] as const));
    const pooled = (id: string, e?: number) => {
      let global = 0;
      let runs = 0;
      for (const seed of plan.seeds) {
        const rows = basinsOf(seed, id);
        const counted = globalShare(e === undefined ? rows : [rows[e]!]);
        global += counted.global;
        runs += counted.runs;
      }
      return wilson(global, runs);
    };
    const count = (id: string, basin: Basin): number => plan.seeds.reduce((sum, seed) => sum + basinsOf(seed, id).flat().filter((b) => b === basin).length, 0);
    const heavyBall = differences.get('momentum')!;
    const verdict = escapesMoreOften(heavyBall);
    const label = (id: string): string => raceEntry(id).label;
    const share = (id: string): string => {
      const w = pooled(id);
      return `${percent(w.share)} [${percent(w.lo)}, ${percent(w.hi)}]`;
    };
    const points = (d: { mean: number; lo: number; hi: number }): string => `${num(100 * d.mean)} points [${num(100 * d.lo)}, ${num(100 * d.hi)}]`;
    const better = others.filter((id) => escapesMoreOften(differences.get(id)!) === 'holds');
    const trapped = others.filter((id) => trappedMoreOften(differences.get(id)!));
    const trappedAdaptive = trapped.filter((id) => NORMALIZED_IDS.includes(id));
    const runsPerOptimizer = plan.seeds.length * starts * effectiveSteps.length;
    const byStep = (id: string): string => effectiveSteps.map((eta, e) => `${percent(pooled(id, e).share)} at η = ${eta}`).join(', ');
    return {
      verdict,
      rule: `holds when the 95 % interval of (heavy ball's share of runs ending in the global minimum − SGD's), per seed over the same starts and effective steps, lies above ${SHARE_MARGIN} (${100 * SHARE_MARGIN} points); does not hold here when it lies below; inconclusive when it straddles`,
      effect: heavyBall,
      perSeed: Object.fromEntries(ids.map((id) => [`global share ${id}`, shares(id)])),
      wins: winCount(plan.seeds.length, (k) => shares('momentum')[k]! > sgdShares[k]!, 'heavy ball ends in the global minimum more often than SGD'),
      method:
        `The two-well bowl f = x⁴/4 + x³/6 − 3x²/4 + y², poor minimum (1, 0), better one (−1.5, 0), hump at x = 0. ${starts} starts per seed drawn uniformly right of the hump (x₀ ∈ (0, 2.5], y₀ ∈ [−1.5, 1.5]), where the poor minimum is the first one met. ` +
        `Each optimizer runs ${steps} steps from every start at matched effective steps η ∈ {${effectiveSteps.join(', ')}} (SGD at lr = η, heavy ball and Nesterov at η(1 − μ), normalized methods at lr = η: equal steps under a steady unit gradient), and ends in the global minimum, the poor one (within ${SETTLED_WITHIN}), unsettled, or diverged. ` +
        `Shares are pooled over starts and η with Wilson 95 % intervals (${runsPerOptimizer} runs per optimizer); the verdict pairs each seed's share with SGD's on the same starts.`,
      summary:
        `Ending in the global minimum: SGD ${share('sgd')}, heavy ball ${share('momentum')} (${points(heavyBall)} over SGD). ` +
        (better.length > 0 ? `More often than SGD: ${better.map(label).join(', ')}. ` : '') +
        (trapped.length > 0 ? `Trapped more often than SGD: ${trapped.map((id) => `${label(id)} ${share(id)}`).join(', ')}.` : 'No method is trapped more often than SGD.'),
      interpretation:
        `At small effective steps every method settles in the first minimum it meets (SGD: ${byStep('sgd')}). ` +
        `Heavy ball arrives at the hump with velocity built along the descent (${byStep('momentum')})` +
        (pooled('sgd', effectiveSteps.length - 1).share > 0 ? `; at the largest η SGD gets over too, by overshooting the steep wall of the poor basin rather than by inertia. ` : '. ') +
        (trappedAdaptive.length > 0
          ? `The adaptive methods are the ones trapped here: ${trappedAdaptive.map((id) => `${label(id)} (${byStep(id)})`).join('; ')}. A normalized step is about η whatever the slope, so the steep descent into the poor basin, which gives SGD and heavy ball their large steps, gives them nothing extra to carry over the hump.`
          : 'No adaptive method is trapped more often than SGD here.') +
        ` Unsettled after ${steps} steps: ${ids.filter((id) => count(id, 'unsettled') > 0).map((id) => `${label(id)} ${count(id, 'unsettled')}`).join(', ') || 'none'}; diverged: ${ids.filter((id) => count(id, 'diverged') > 0).map((id) => `${label(id)} ${count(id, 'diverged')}`).join(', ') || 'none'}.`,
      values: {
        effectiveSteps: [...effectiveSteps],
        globalShare: Object.fromEntries(ids.map((id) => [id, { ...pooled(id) }])),
        globalShareByStep: Object.fromEntries(ids.map((id) => [id, effectiveSteps.map((_, e) => pooled(id, e).share)])),
        differenceFromSgd: Object.fromEntries(others.map((id) => [id, { mean: differences.get(id)!.mean, lo: differences.get(id)!.lo, hi: differences.get(id)!.hi }])),
        trappedMoreOftenThanSgd: trapped,
      },
      table: {
        headers: ['optimizer', 'global (Wilson 95 %)', ...effectiveSteps.map((eta) => `global, η = ${eta}`), 'vs SGD (points)', 'unsettled / diverged'],
        rows: ids.map((id) => [
          label(id),
          share(id),
          ...effectiveSteps.map((_, e) => percent(pooled(id, e).share)),
          id === 'sgd' ? '—' : points(differences.get(id)!),
          `${count(id, 'unsettled')} / ${count(id, 'diverged')}`,
        ]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-2-global-share',
          title: 'Share of runs ending in the global minimum of the two-well bowl',
          xLabel: 'effective step η',
          yLabel: 'share in the global minimum',
          logX: true,
          series: ids.map((id) => ({ label: label(id), color: id, points: effectiveSteps.map((eta, e) => [eta, pooled(id, e).share] as const) })),
        },
      ],
    };
  },
});

/**
 * Claim 1: saddle points slow plain gradient descent. Escape times from the bounded saddle
 * f = x² − y² + y⁴/4, per optimizer, against SGD at the same effective step.
 *
 * v1 used one start 1e-3 off the stable axis and each optimizer at the lr its surface sweep
 * chose (which rewards a large lr, not escaping), and compared SGD with the best of fifteen.
 * Here: many starts, matched steps (see contestants.ts), and a verdict per optimizer.
 *
 * Starts (x₀, y₀) with x₀ = ½, where the stable direction's gradient has size 1 (so the matched
 * effective step means equal steps there), and |y₀| spread evenly in log scale over
 * 10⁻⁶ … 10⁻¹ (stratified: one start per equal slice of that range, placed at random in its slice,
 * random sign). Near the saddle the unstable gradient is 2|y|: SGD's escape time grows like
 * ln(1/|y₀|)/ln(1 + 2η), while a normalized step moves ~η whatever the gradient.
 * A run has escaped when |y| ≥ ½ (about a third of the way to the minima at ±√2).
 */
import { Generator } from '../../tensor/random.js';
import { boundedSaddle } from '../../surfaces/functions.js';
import { raceEntry } from '../entries.js';
import { interval, median, verdictOf } from '../stats.js';
import { defineClaim, type Verdict } from '../types.js';
import { num } from './format.js';
import { Lockstep, entryGroupFactory, manyStarts } from './lockstep.js';
import { MOMENTUM_IDS, NORMALIZED_IDS, lockstepContestants, matchedLr } from './contestants.js';
import { everyVerdict } from './verdicts.js';

export const ESCAPE_HEIGHT = 0.5;
export const SADDLE_X0 = 0.5;
export const OFFSET_DECADES: readonly [number, number] = [-6, -1];

export interface SaddleTrialSpec {
  readonly seed: number;
  readonly optimizer: string;
  readonly starts: number;
  readonly effectiveSteps: readonly number[];
  readonly maxSteps: number;
}

export interface SaddleTrialResult {
  /** y₀ of each start. */
  readonly offsets: number[];
  /** escapes[η index][start]: steps until |y| ≥ ½, or null when not within maxSteps. */
  readonly escapes: Array<Array<number | null>>;
}

export function saddleStarts(seed: number, count: number): number[] {
  const generator = new Generator(seed);
  const [low, high] = OFFSET_DECADES;
  return Array.from({ length: count }, (_, k) => {
    const exponent = low + ((high - low) * (k + generator.uniform())) / count;
    return (generator.uniform() < 0.5 ? -1 : 1) * 10 ** exponent;
  });
}

export function runSaddleTrial({ seed, optimizer, starts, effectiveSteps, maxSteps }: SaddleTrialSpec): SaddleTrialResult {
  const offsets = saddleStarts(seed, starts);
  const start = new Float64Array(2 * starts);
  offsets.forEach((y0, k) => {
    start[2 * k] = SADDLE_X0;
    start[2 * k + 1] = y0;
  });
  const runs = new Lockstep(entryGroupFactory(optimizer), effectiveSteps.map((eta) => ({ lr: matchedLr(optimizer, eta) })), start, manyStarts(boundedSaddle));
  const escapes = effectiveSteps.map(() => new Array<number | null>(starts).fill(null));
  const waiting = effectiveSteps.map(() => starts);
  while (runs.steps < maxSteps && runs.anyActive) {
    runs.step();
    effectiveSteps.forEach((_, e) => {
      if (!runs.active[e]) return;
      const w = runs.points[e]!;
      for (let k = 0; k < starts; k++) {
        if (escapes[e]![k] !== null || !(Math.abs(w[2 * k + 1]!) >= ESCAPE_HEIGHT)) continue;
        escapes[e]![k] = runs.steps;
        waiting[e]! -= 1;
      }
      if (waiting[e] === 0) runs.retire(e);
    });
  }
  return { offsets, escapes };
}

/**
 * Mean over starts and effective steps of ln(escape steps / SGD's), the pair sharing start and
 * η; a run that never escaped counts at `maxSteps` (which understates its delay).
 */
export function meanLogEscapeRatio(own: SaddleTrialResult, sgd: SaddleTrialResult, maxSteps: number): number {
  let sum = 0;
  let count = 0;
  own.escapes.forEach((times, e) =>
    times.forEach((t, k) => {
      sum += Math.log((t ?? maxSteps) / (sgd.escapes[e]![k] ?? maxSteps));
      count += 1;
    }),
  );
  return sum / count;
}

// ---------------------------------------------------------------------------------------------
// The claim

/** A method "escapes faster" when its escape time is at most this fraction of SGD's. */
export const FASTER = 0.9;

interface Settings {
  readonly starts: number;
  readonly effectiveSteps: readonly number[];
  readonly maxSteps: number;
}

interface Spec {
  readonly seed: number;
  readonly optimizer: string;
  readonly settings: Settings;
}

/** Per contestant: the claim's verdict for it, from the interval of its mean log escape ratio against SGD. */
export function fasterThanSgd(logRatio: { readonly lo: number; readonly hi: number }): Verdict {
  return verdictOf(logRatio, 'below', Math.log(FASTER));
}

export const saddle = defineClaim<Settings, Spec, SaddleTrialResult>({
  id: 'saddle',
  number: 1,
  title: 'Saddle points slow plain gradient descent',
  statement: 'Near a saddle point the gradient is tiny, so plain gradient descent lingers there; momentum and adaptive methods escape faster.',
  literature: ['Dauphin et al. (2014), Identifying and attacking the saddle point problem', 'Jin et al. (2017), How to escape saddle points efficiently'],
  requires: { all: ['sgd'], oneOf: [[...MOMENTUM_IDS, ...NORMALIZED_IDS]] },
  budgets: {
    quick: { starts: 32, effectiveSteps: [0.01, 0.03, 0.1], maxSteps: 3000 },
    default: { starts: 64, effectiveSteps: [0.01, 0.03, 0.1], maxSteps: 3000 },
    full: { starts: 128, effectiveSteps: [0.003, 0.01, 0.03, 0.1], maxSteps: 8000 },
  },
  shared: [],
  seeded: true,
  trials: (plan) => plan.seeds.flatMap((seed) => lockstepContestants(plan).map((optimizer) => ({ seed, optimizer, settings: plan.settings }))),
  runTrial: ({ seed, optimizer, settings }) => runSaddleTrial({ seed, optimizer, ...settings }),
  conclude(done, plan) {
    const { effectiveSteps, maxSteps } = plan.settings;
    const ids = lockstepContestants(plan);
    const others = ids.filter((id) => id !== 'sgd');
    const trial = (seed: number, id: string): SaddleTrialResult => done.find((d) => d.spec.seed === seed && d.spec.optimizer === id)!.result;
    const perSeed: Record<string, number[]> = {};
    for (const id of others) perSeed[id] = plan.seeds.map((seed) => meanLogEscapeRatio(trial(seed, id), trial(seed, 'sgd'), maxSteps));
    const ratios = new Map(others.map((id) => [id, interval(perSeed[id]!)] as const));
    const verdicts = new Map(others.map((id) => [id, fasterThanSgd(ratios.get(id)!)] as const));
    const verdict = everyVerdict([...verdicts.values()]);
    const label = (id: string): string => raceEntry(id).label;
    const named = (v: Verdict): string[] => others.filter((id) => verdicts.get(id) === v).map(label);
    const times = (id: string): number[] => plan.seeds.flatMap((seed) => trial(seed, id).escapes.flat().map((t) => t ?? maxSteps));
    const factor = (id: string): string => {
      const r = ratios.get(id)!;
      return `${num(Math.exp(r.mean))}× [${num(Math.exp(r.lo))}, ${num(Math.exp(r.hi))}]`;
    };
    const faster = named('holds');
    const notFaster = named('does not hold here');
    const unclear = named('inconclusive');
    // Escape time against |y₀| at the middle effective step, one point per decade of y₀.
    const middle = Math.floor(effectiveSteps.length / 2);
    const decades = Array.from({ length: OFFSET_DECADES[1] - OFFSET_DECADES[0] }, (_, k) => OFFSET_DECADES[0] + k);
    const curve = (id: string): Array<readonly [number, number]> =>
      decades.map((low) => {
        const inDecade = plan.seeds.flatMap((seed) => {
          const result = trial(seed, id);
          return result.offsets.flatMap((y0, k) => (Math.log10(Math.abs(y0)) >= low && Math.log10(Math.abs(y0)) < low + 1 ? [result.escapes[middle]![k] ?? maxSteps] : []));
        });
        return [10 ** (low + 0.5), median(inDecade)] as const;
      });
    return {
      verdict,
      rule: `per momentum or adaptive method: faster when the 95 % interval of the mean of ln(its escape steps / SGD's), paired by start and effective step, lies below ln ${FASTER} (at least ${Math.round(100 * (1 - FASTER))} % fewer steps); the claim holds when every one is faster, does not hold here when any is clearly not (interval entirely above ln ${FASTER}), inconclusive otherwise`,
      // The effect shown is the slowest method's: the one the "every method" rule turns on.
      effect: others.map((id) => ratios.get(id)!).reduce((slowest, r) => (r.mean > slowest.mean ? r : slowest)),
      perSeed: Object.fromEntries(others.map((id) => [`ln escape ratio ${id}`, perSeed[id]!])),
      method:
        `The bounded saddle f = x² − y² + y⁴/4, from ${plan.settings.starts} starts per seed at x₀ = ${SADDLE_X0} (where the stable direction's gradient is 1) with |y₀| spread evenly in log scale over 10^${OFFSET_DECADES[0]} … 10^${OFFSET_DECADES[1]} (stratified, random sign). ` +
        `Steps until |y| ≥ ${ESCAPE_HEIGHT}, at most ${maxSteps}, at matched effective steps η ∈ {${effectiveSteps.join(', ')}}: every optimizer moves η per step under a steady unit gradient, so SGD runs at lr = η, heavy ball and Nesterov at lr = η(1 − μ) (their terminal velocity is lr/(1 − μ)), and the normalized methods at lr = η. ` +
        `Adadelta, AdamW, LAMB, LARS, L-BFGS, SAM and Lookahead are left out: no comparable step (Adadelta), a decay that pulls to the saddle (AdamW), or updates that couple the starts held in one tensor.`,
      summary:
        `Escape faster than SGD at the same effective step: ${faster.length > 0 ? faster.join(', ') : 'none'}` +
        (notFaster.length > 0 ? `; not faster: ${notFaster.join(', ')}` : '') +
        (unclear.length > 0 ? `; unclear: ${unclear.join(', ')}` : '') +
        `. Steps relative to SGD: ${others.map((id) => `${label(id)} ${factor(id)}`).join(', ')}.`,
      interpretation:
        `Near the saddle the unstable gradient is 2|y|, so SGD's distance from it grows by (1 + 2η) per step and its escape time grows with ln(1/|y₀|): ${curve('sgd')
          .map(([y, t]) => `${num(t)} steps from |y₀| ≈ ${num(y)}`)
          .join(', ')} at η = ${effectiveSteps[middle]}. ` +
        `A normalized method divides by the gradient's own scale and moves about η per step however small the gradient, so its escape time hardly depends on |y₀|${NORMALIZED_IDS.some((id) => ids.includes(id)) ? ` (${NORMALIZED_IDS.filter((id) => ids.includes(id)).map((id) => `${label(id)} ${num(median(curve(id).map(([, t]) => t)))}`).join(', ')} steps, median over decades)` : ''}${ids.includes('rmsprop') ? "; RMSProp's first steps are larger still, since it has no bias correction and its average of g² starts at zero" : ''}. ` +
        `Momentum matched at its terminal step does not help: along a direction whose gradient grows exponentially the velocity lags behind the gradient, and heavy ball's growth per step, the root of z² − (1 + μ + 2η(1 − μ))z + μ = 0, is below SGD's 1 + 2η; it escapes faster only when given a larger effective step (at SGD's own lr, heavy ball's terminal step is 1/(1 − μ) = ${num(1 / (1 - (raceEntry('momentum').options.momentum as number)))}× larger).`,
      values: {
        escapeHeight: ESCAPE_HEIGHT,
        effectiveSteps: [...effectiveSteps],
        medianEscapeSteps: Object.fromEntries(ids.map((id) => [id, median(times(id))])),
        escapeRatio: Object.fromEntries(others.map((id) => [id, { mean: Math.exp(ratios.get(id)!.mean), lo: Math.exp(ratios.get(id)!.lo), hi: Math.exp(ratios.get(id)!.hi) }])),
        faster,
        notFaster,
        inconclusive: unclear,
      },
      table: {
        headers: ['optimizer', ...effectiveSteps.map((eta) => `median steps, η = ${eta}`), 'steps / SGD (95 % interval)', 'faster than SGD'],
        rows: ids.map((id) => [
          label(id),
          ...effectiveSteps.map((_, e) => {
            const values = plan.seeds.flatMap((seed) => trial(seed, id).escapes[e]!.map((t) => t ?? maxSteps));
            return values.some((t) => t >= maxSteps) && median(values) >= maxSteps ? `> ${maxSteps}` : num(median(values));
          }),
          id === 'sgd' ? '1' : factor(id),
          id === 'sgd' ? '—' : verdicts.get(id) === 'holds' ? 'yes' : verdicts.get(id) === 'does not hold here' ? 'no' : 'unclear',
        ]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-1-escape-vs-offset',
          title: `Steps to leave the saddle against the start's offset |y₀|, η = ${effectiveSteps[middle]} (median per decade)`,
          xLabel: '|y₀|',
          yLabel: 'steps until |y| ≥ 0.5',
          logX: true,
          logY: true,
          series: ids.map((id) => ({ label: label(id), color: id, points: curve(id) })),
        },
      ],
    };
  },
});

/**
 * Claim 11: Lookahead and RAdam are less sensitive to the learning rate. The final training
 * loss over a grid of learning rates, for Adam, Lookahead around Adam and RAdam.
 */
import { raceEntry } from '../entries.js';
import { runMnistTrial, type MnistTrialResult, type MnistTrialSpec } from '../mnist-trial.js';
import { lrGrid } from '../sweep.js';
import { defineClaim } from '../types.js';
import { num } from './format.js';

interface Settings {
  readonly factors: readonly number[];
  readonly seeds: number;
  readonly steps: number;
}

const OPTIMIZERS = ['adam', 'lookahead', 'radam', 'momentum'] as const;
/** A diverged run counts as no progress: the loss of guessing among 10 classes. */
const CHANCE = Math.log(10);

export const sensitivity = defineClaim<Settings, MnistTrialSpec, MnistTrialResult>({
  id: 'sensitivity',
  number: 11,
  title: 'Lookahead and RAdam are less sensitive to the learning rate',
  statement: "Lookahead's slow weights and RAdam's rectified warm-up make training robust to the choice of learning rate.",
  literature: ['Zhang et al. (2019), Lookahead optimizer: k steps forward, 1 step back', 'Liu et al. (2020), On the variance of the adaptive learning rate and beyond (RAdam)'],
  requires: { all: ['adam'], oneOf: [['lookahead', 'radam']] },
  budgets: {
    quick: { factors: [1, 3, 10, 30], seeds: 2, steps: 60 },
    default: { factors: [0.3, 1, 3, 10, 30], seeds: 3, steps: 300 },
    full: { factors: [0.1, 0.3, 1, 3, 10, 30, 100], seeds: 5, steps: 1000 },
  },
  shared: [],
  seeded: true,
  trials(plan) {
    const adamCentre = raceEntry('adam').centerLr.network;
    const seeds = plan.seeds.slice(0, plan.settings.seeds);
    return OPTIMIZERS.filter((id) => plan.has(id)).flatMap((optimizer) => {
      // SGD + momentum is shown for reference on its own scale (its centre, same factors).
      const grid = lrGrid(optimizer === 'momentum' ? raceEntry(optimizer).centerLr.network : adamCentre, plan.settings.factors);
      return seeds.flatMap((seed) => grid.map((lr) => ({ budget: plan.budget.name, optimizer, lr, seed, steps: plan.settings.steps, batchSize: plan.budget.batchSize })));
    });
  },
  runTrial: runMnistTrial,
  conclude(done, plan) {
    const { factors, steps } = plan.settings;
    const seeds = plan.seeds.slice(0, plan.settings.seeds);
    const results = OPTIMIZERS.filter((id) => plan.has(id)).map((id) => {
      const runs = done.filter((d) => d.spec.optimizer === id);
      const grid = [...new Set(runs.map((d) => d.spec.lr))].sort((a, b) => a - b);
      const finals = seeds.map((seed) => grid.map((lr) => Math.min(runs.find((d) => d.spec.seed === seed && d.spec.lr === lr)!.result.score, CHANCE)));
      const spread = finals.reduce((sum, perLr) => sum + (Math.max(...perLr) - Math.min(...perLr)), 0) / seeds.length;
      const meanByLr = grid.map((_, k) => finals.reduce((sum, perLr) => sum + perLr[k]!, 0) / seeds.length);
      const best = Math.min(...meanByLr);
      const nearBest = meanByLr.filter((v) => v <= 1.25 * best).length;
      return { id, grid, spread, meanByLr, nearBest };
    });
    const adam = results.find((r) => r.id === 'adam')!;
    const challengers = results.filter((r) => r.id === 'lookahead' || r.id === 'radam');
    const holds = challengers.every((r) => r.spread < adam.spread);
    const label = (id: string) => raceEntry(id).label;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: 'holds when Lookahead and RAdam both have a smaller spread of final loss across learning rates than Adam',
      method: `The table task, ${steps} steps, learning rates ${adam.grid.join(', ')} (Adam's default × ${factors.join(', ')}) for Adam, Lookahead around Adam and RAdam, ${seeds.length} seeds each. Final loss = mean training loss over the last fifth of the steps, capped at ln 10 (chance) for diverged runs. Spread = the range (max − min) of the final loss across learning rates, averaged over seeds. SGD + momentum is shown for reference on its own grid.`,
      summary: `Spread of final loss across learning rates: ${results.map((r) => `${label(r.id)} ${num(r.spread)}`).join(', ')}. Learning rates within 25% of the best loss: ${results.map((r) => `${label(r.id)} ${r.nearBest} of ${r.grid.length}`).join(', ')}.`,
      interpretation: "Lookahead's slow weights average the fast weights' excursions, and RAdam damps the first steps when the variance estimate is unreliable: both should tolerate larger learning rates than Adam.",
      values: {
        lrs: adam.grid,
        seeds: seeds.length,
        spread: Object.fromEntries(results.map((r) => [r.id, r.spread])),
        learningRatesNearBest: Object.fromEntries(results.map((r) => [r.id, r.nearBest])),
        meanFinalLoss: Object.fromEntries(results.map((r) => [r.id, r.meanByLr])),
      },
      table: {
        headers: ['optimizer', ...factors.map((f) => `lr × ${f}`), 'spread', 'within 25% of best'],
        rows: results.map((r) => [label(r.id), ...r.meanByLr.map((v) => num(v)), num(r.spread), `${r.nearBest} of ${r.grid.length}`]),
      },
      figures: [
        { kind: 'line', name: 'claim-11-sensitivity', title: `Final training loss against learning rate (mean of ${seeds.length} seeds, ${steps} steps)`, xLabel: 'learning rate', yLabel: 'final loss', logX: true, series: results.map((r) => ({ label: label(r.id), color: r.id, dashed: r.id === 'momentum', points: r.grid.map((lr, k) => [lr, r.meanByLr[k]!] as [number, number]) })) },
      ],
    };
  },
});

/**
 * Claim 12: SAM finds flatter minima. SGD + momentum and SAM around it, at the same lr, from
 * the same start and batches; sharpness by random perturbations of fixed norm.
 */
import { raceEntry } from '../entries.js';
import { runMnistTrial, type MnistTrialResult, type MnistTrialSpec } from '../mnist-trial.js';
import { tableLr } from '../shared/table.js';
import { defineClaim } from '../types.js';
import { curvePoints, num, percent } from './format.js';

interface Settings {
  readonly steps: number;
  readonly sharpnessSamples: number;
}

/** Perturbation radius, as a fraction of the initial weights' norm (the same radius for both runs). */
const RADIUS_FRACTION = 0.25;
const OPTIMIZERS = ['momentum', 'sam'] as const;

export const sam = defineClaim<Settings, MnistTrialSpec, MnistTrialResult>({
  id: 'sam',
  number: 12,
  title: 'SAM finds flatter minima',
  statement: 'Sharpness-aware minimization seeks parameters whose whole neighbourhood has low loss: it ends in flatter minima than its base optimizer.',
  literature: ['Foret et al. (2021), Sharpness-aware minimization for efficiently improving generalization'],
  requires: { all: ['sam', 'momentum'], oneOf: [] },
  budgets: {
    quick: { steps: 200, sharpnessSamples: 6 },
    default: { steps: 1500, sharpnessSamples: 20 },
    full: { steps: 3000, sharpnessSamples: 50 },
  },
  shared: ['table'],
  seeded: true,
  trials(plan) {
    const lr = tableLr(plan.shared.table, 'momentum');
    return OPTIMIZERS.map((optimizer) => ({ budget: plan.budget.name, optimizer, lr, seed: plan.seeds[0]!, steps: plan.settings.steps, batchSize: plan.budget.batchSize, sharpness: { radiusFraction: RADIUS_FRACTION, samples: plan.settings.sharpnessSamples } }));
  },
  runTrial: runMnistTrial,
  conclude(done, plan) {
    const { steps, sharpnessSamples } = plan.settings;
    const [base, sam] = OPTIMIZERS.map((id) => done.find((d) => d.spec.optimizer === id)!) as [(typeof done)[0], (typeof done)[0]];
    const lr = base.spec.lr;
    const radius = base.result.sharpness!.radius;
    const holds = sam.result.sharpness!.increase < base.result.sharpness!.increase;
    const label = (id: string) => raceEntry(id).label;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: "holds when SAM's loss increase under random perturbations is below its base optimizer's (one seed)",
      method: `The table task, ${steps} steps from the same start and batches: SGD with momentum 0.9 at its table-task lr ${lr}, and SAM (ρ = 0.05) around the same SGD at the same lr (SAM takes two gradients per step). Sharpness = mean increase of the training loss (on up to 1000 training digits) when all weights move by ±d, d a random direction of norm ${num(radius)} (${RADIUS_FRACTION} of the initial weights' norm), over ${sharpnessSamples} directions, the same directions for both.`,
      summary: `Loss increase under perturbations of norm ${num(radius)}: SAM ${num(sam.result.sharpness!.increase)} (from ${num(sam.result.sharpness!.base)}), SGD + momentum ${num(base.result.sharpness!.increase)} (from ${num(base.result.sharpness!.base)}); test accuracy ${percent(sam.result.testAccuracy)} vs ${percent(base.result.testAccuracy)}.`,
      interpretation: 'SAM steps from the worst point within ρ of the weights, so it prefers minima whose neighbourhood stays low; the perturbation probe reads that neighbourhood.',
      values: {
        lr,
        radius,
        sharpness: Object.fromEntries([base, sam].map((d) => [d.spec.optimizer, d.result.sharpness!.increase])),
        trainLossAtMinimum: Object.fromEntries([base, sam].map((d) => [d.spec.optimizer, d.result.sharpness!.base])),
        testAccuracy: Object.fromEntries([base, sam].map((d) => [d.spec.optimizer, d.result.testAccuracy])),
      },
      table: {
        headers: ['optimizer', 'training loss', 'loss increase (sharpness)', 'test accuracy'],
        rows: [base, sam].map((d) => [label(d.spec.optimizer), num(d.result.sharpness!.base), num(d.result.sharpness!.increase), percent(d.result.testAccuracy)]),
      },
      figures: [
        { kind: 'line', name: 'claim-12-sam', title: `SGD + momentum vs SAM around it (ρ = 0.05), lr ${lr}`, xLabel: 'step', yLabel: 'cross-entropy (EMA)', logY: true, series: [base, sam].map((d) => ({ label: label(d.spec.optimizer), color: d.spec.optimizer, points: curvePoints(d.result.curve) })) },
      ],
    };
  },
});

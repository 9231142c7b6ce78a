/**
 * Claim 6: Adam's bias correction matters in the first steps. Adam at its table-task lr with
 * and without the correction, from the same start and batches.
 */
import { Generator } from '../../tensor/random.js';
import { BUDGETS } from '../budget.js';
import { raceEntry, withoutBiasCorrection } from '../entries.js';
import { tailMean, trainClassifier } from '../harness.js';
import { snapshot } from '../probes.js';
import { mnistTask } from '../tasks.js';
import { defineClaim, type Budget } from '../types.js';
import { curvePoints, num, percent } from './format.js';

interface Settings {
  readonly steps: number;
}

interface Spec {
  readonly budget: Budget;
  readonly seed: number;
  readonly lr: number;
  readonly corrected: boolean;
  readonly steps: number;
}

interface Result {
  readonly losses: readonly number[];
  readonly stepNorms: readonly number[];
  readonly testAccuracy: number;
}

export const biasCorrection = defineClaim<Settings, Spec, Result>({
  id: 'bias-correction',
  number: 6,
  title: "Adam's bias correction matters in the first steps",
  statement: "Adam's moment estimates start at zero; without bias correction the first steps are mis-sized, and correcting them matters early in training.",
  literature: ['Kingma & Ba (2015), Adam: a method for stochastic optimization, §3'],
  requires: { all: ['adam'], oneOf: [] },
  budgets: { quick: { steps: 50 }, default: { steps: 150 }, full: { steps: 400 } },
  shared: ['table'],
  seeded: true,
  trials(plan) {
    const lr = plan.shared.table!.rows.find((r) => r.optimizer === 'adam')?.lr ?? raceEntry('adam').centerLr.network;
    return [true, false].map((corrected) => ({ budget: plan.budget.name, seed: plan.seeds[0]!, lr, corrected, steps: plan.settings.steps }));
  },
  runTrial(spec, env) {
    const budget = BUDGETS[spec.budget];
    const task = mnistTask(env.datasets, budget.mnist);
    const adam = raceEntry('adam').factory();
    const stepNorms = new Float64Array(spec.steps);
    let previous = snapshot(task.buildModel(new Generator(spec.seed)).parameters());
    const run = trainClassifier(task, spec.corrected ? adam : withoutBiasCorrection(adam), {
      steps: spec.steps,
      batchSize: budget.batchSize,
      seed: spec.seed,
      lr: spec.lr,
      onStep: (t, model) => {
        const now = snapshot(model.parameters());
        stepNorms[t] = Math.sqrt(now.reduce((sum, values, k) => sum + values.reduce((s, v, i) => s + (v - previous[k]![i]!) ** 2, 0), 0));
        previous = now;
      },
    });
    return { losses: Array.from(run.losses), stepNorms: Array.from(stepNorms), testAccuracy: run.testAccuracy };
  },
  conclude(done, plan) {
    const steps = plan.settings.steps;
    const withCorrection = done.find((d) => d.spec.corrected)!;
    const without = done.find((d) => !d.spec.corrected)!;
    const lr = withCorrection.spec.lr;
    const early = Math.min(10, steps);
    const meanOf = (values: readonly number[], n: number): number => values.slice(0, n).reduce((s, v) => s + v, 0) / n;
    const firstStepRatio = without.result.stepNorms[0]! / withCorrection.result.stepNorms[0]!;
    const earlyWith = meanOf(withCorrection.result.losses, early);
    const earlyWithout = meanOf(without.result.losses, early);
    const earlyDifference = Math.abs(earlyWithout - earlyWith) / earlyWith;
    const holds = (firstStepRatio >= 2 || firstStepRatio <= 0.5) && earlyDifference >= 0.02;
    const variants = [
      { name: 'with bias correction', color: 'adam', dashed: false, result: withCorrection.result },
      { name: 'without bias correction', color: 'variant-2', dashed: true, result: without.result },
    ];
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: `holds when the first update differs in size by at least 2× and the mean loss of the first ${early} steps differs by at least 2% (one seed)`,
      method: `The table task, Adam at its chosen lr ${lr} with β = (0.9, 0.999), from the same start and batches, ${steps} steps with and without bias correction. "Without" is the same Adam with its lr and ε rescaled each step by (1 − β₁ᵗ)/√(1 − β₂ᵗ) and 1/√(1 − β₂ᵗ), which cancels the correction exactly.`,
      summary: `Without correction the first update is ${num(firstStepRatio)}× the corrected one; mean loss over the first ${early} steps ${num(earlyWithout)} vs ${num(earlyWith)} with correction (${num(100 * earlyDifference)}% apart); after ${steps} steps ${num(tailMean(without.result.losses, 5))} vs ${num(tailMean(withCorrection.result.losses, 5))}.`,
      interpretation: 'At step 1 the uncorrected m is (1 − β₁)g and √v is √(1 − β₂)|g|, so the uncorrected step is (1 − β₁)/√(1 − β₂) ≈ 3.16 times the corrected one at the default betas.',
      values: {
        lr,
        firstStepRatio,
        earlyMeanLoss: { with: earlyWith, without: earlyWithout },
        finalLoss: { with: tailMean(withCorrection.result.losses, 5), without: tailMean(without.result.losses, 5) },
        testAccuracy: { with: withCorrection.result.testAccuracy, without: without.result.testAccuracy },
      },
      table: {
        headers: ['variant', '‖Δθ‖ step 1', `mean loss, steps 1–${early}`, `loss after ${steps}`, 'test accuracy'],
        rows: variants.map((v) => [v.name, num(v.result.stepNorms[0]!), num(meanOf(v.result.losses, early)), num(tailMean(v.result.losses, 5)), percent(v.result.testAccuracy)]),
      },
      figures: [
        { kind: 'line', name: 'claim-6-bias-correction', title: `Adam (lr ${lr}) with and without bias correction: first ${steps} steps`, xLabel: 'step', yLabel: 'mini-batch loss', series: variants.map((v) => ({ label: v.name, color: v.color, dashed: v.dashed, points: curvePoints(v.result.losses) })) },
        { kind: 'line', name: 'claim-6-step-size', title: 'Size of each update ‖Δθ‖', xLabel: 'step', yLabel: '‖Δθ‖', logY: true, series: variants.map((v) => ({ label: v.name, color: v.color, dashed: v.dashed, points: curvePoints(v.result.stepNorms) })) },
      ],
    };
  },
});

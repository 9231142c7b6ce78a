/**
 * Claim 8: SGD + momentum with a schedule generalizes as well as Adam. Both at their
 * table-task lr from the same start and batches; SGD decays by cosine annealing.
 */
import { raceEntry } from '../entries.js';
import { runMnistTrial, type MnistTrialResult, type MnistTrialSpec } from '../mnist-trial.js';
import { tableLr } from '../shared/table.js';
import { defineClaim } from '../types.js';
import { curvePoints, num, percent } from './format.js';

/** Standard error of an accuracy p measured on n samples: the tolerance for "as well as". */
export function standardError(p: number, n: number): number {
  return Math.sqrt(Math.max(p * (1 - p), 1e-4) / n);
}

export const schedule = defineClaim<{ readonly steps: number }, MnistTrialSpec, MnistTrialResult>({
  id: 'schedule',
  number: 8,
  title: 'SGD + momentum with a schedule generalizes as well as Adam',
  statement: 'Tuned SGD with momentum and a decaying learning-rate schedule generalizes as well as or better than Adam, even when Adam trains faster.',
  literature: ['Wilson et al. (2017), The marginal value of adaptive gradient methods in machine learning', 'Loshchilov & Hutter (2017), SGDR: stochastic gradient descent with warm restarts'],
  requires: { all: ['momentum', 'adam'], oneOf: [] },
  budgets: { quick: { steps: 200 }, default: { steps: 1500 }, full: { steps: 3000 } },
  shared: ['table'],
  seeded: true,
  trials(plan) {
    const common = { budget: plan.budget.name, seed: plan.seeds[0]!, steps: plan.settings.steps, batchSize: plan.budget.batchSize };
    return [
      { ...common, optimizer: 'momentum', lr: tableLr(plan.shared.table, 'momentum'), schedule: 'cosine' as const },
      { ...common, optimizer: 'adam', lr: tableLr(plan.shared.table, 'adam') },
    ];
  },
  runTrial: runMnistTrial,
  conclude(done, plan) {
    const steps = plan.settings.steps;
    const sgd = done.find((d) => d.spec.optimizer === 'momentum')!;
    const adam = done.find((d) => d.spec.optimizer === 'adam')!;
    const tolerance = standardError(adam.result.testAccuracy, adam.result.testCount);
    const holds = sgd.result.testAccuracy >= adam.result.testAccuracy - tolerance;
    const row = (name: string, r: MnistTrialResult) => [name, percent(r.trainAccuracy), percent(r.testAccuracy), percent(r.trainAccuracy - r.testAccuracy), num(r.testLoss)];
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: `holds when SGD's test accuracy is at least Adam's minus one standard error of a ${adam.result.testCount}-digit test set (${percent(tolerance)}; one seed)`,
      method: `The table task trained ${steps} steps from the same start and batches: SGD with momentum 0.9 at its table-task lr ${sgd.spec.lr} decayed by cosine annealing to 0, and Adam at its table-task lr ${adam.spec.lr}, constant.`,
      summary: `Test accuracy: SGD + momentum with cosine ${percent(sgd.result.testAccuracy)} (train ${percent(sgd.result.trainAccuracy)}), Adam ${percent(adam.result.testAccuracy)} (train ${percent(adam.result.trainAccuracy)}); tolerance ±${percent(tolerance)}.`,
      interpretation: 'A decaying step lets SGD settle into the minimum it found; whether that minimum generalizes better than Adam\'s is what the test accuracy compares.',
      values: {
        steps,
        sgdMomentum: { lr: sgd.spec.lr, trainAccuracy: sgd.result.trainAccuracy, testAccuracy: sgd.result.testAccuracy, testLoss: sgd.result.testLoss },
        adam: { lr: adam.spec.lr, trainAccuracy: adam.result.trainAccuracy, testAccuracy: adam.result.testAccuracy, testLoss: adam.result.testLoss },
        tolerance,
      },
      table: { headers: ['optimizer', 'train accuracy', 'test accuracy', 'gap', 'test loss'], rows: [row('SGD + momentum, cosine', sgd.result), row('Adam', adam.result)] },
      figures: [
        {
          kind: 'line',
          name: 'claim-8-schedule',
          title: `SGD + momentum (cosine schedule) vs Adam: training loss over ${steps} steps`,
          xLabel: 'step',
          yLabel: 'cross-entropy (EMA)',
          logY: true,
          series: [
            { label: `${raceEntry('momentum').label}, cosine from lr ${sgd.spec.lr}`, color: 'momentum', points: curvePoints(sgd.result.curve) },
            { label: `Adam, lr ${adam.spec.lr}`, color: 'adam', points: curvePoints(adam.result.curve) },
          ],
        },
      ],
    };
  },
});

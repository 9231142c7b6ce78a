/**
 * Claim 10: LAMB and LARS hold accuracy at large batch. Every optimizer trains the same number
 * of epochs at the small and at the large batch; at the large batch its lr is chosen among 1,
 * √k and k times its table-task lr (k the batch ratio).
 */
import { raceEntry } from '../entries.js';
import { runMnistTrial, type MnistTrialResult, type MnistTrialSpec } from '../mnist-trial.js';
import { tableLr } from '../shared/table.js';
import { bestPoint, roundLr } from '../sweep.js';
import { defineClaim } from '../types.js';
import { curvePoints, num, percent } from './format.js';

interface Settings {
  readonly batchSize: number;
  readonly epochs: number;
}

const OPTIMIZERS = ['lamb', 'lars', 'adam', 'sgd', 'momentum'] as const;
const LAYERWISE = new Set(['lamb', 'lars']);

export const largeBatch = defineClaim<Settings, MnistTrialSpec, MnistTrialResult>({
  id: 'large-batch',
  number: 10,
  title: 'LAMB and LARS hold accuracy at large batch',
  statement: 'At large batch sizes (and equal epochs) Adam and SGD lose accuracy; the layer-wise trust ratios of LAMB and LARS keep it.',
  literature: ['You et al. (2017), Large batch training of convolutional networks (LARS)', 'You et al. (2020), Large batch optimization for deep learning (LAMB)', 'Nado et al. (2021), A large batch optimizer reality check'],
  requires: { all: [], oneOf: [['lamb', 'lars'], ['adam', 'sgd', 'momentum']] },
  budgets: {
    quick: { batchSize: 256, epochs: 2 },
    default: { batchSize: 512, epochs: 5 },
    full: { batchSize: 1024, epochs: 5 },
  },
  shared: ['table'],
  seeded: true,
  trials(plan) {
    const small = plan.budget.batchSize;
    const { batchSize: large, epochs } = plan.settings;
    const samples = plan.budget.mnist.trainSize;
    const stepsFor = (batch: number) => epochs * Math.floor(samples / batch);
    const scale = large / small;
    return OPTIMIZERS.filter((id) => plan.has(id)).flatMap((optimizer) => {
      const base = tableLr(plan.shared.table, optimizer);
      const common = { budget: plan.budget.name, optimizer, seed: plan.seeds[0]! };
      return [
        { ...common, lr: base, steps: stepsFor(small), batchSize: small },
        ...[1, Math.sqrt(scale), scale].map((f) => ({ ...common, lr: roundLr(base * f), steps: stepsFor(large), batchSize: large })),
      ];
    });
  },
  runTrial: runMnistTrial,
  conclude(done, plan) {
    const small = plan.budget.batchSize;
    const { batchSize: large, epochs } = plan.settings;
    const results = OPTIMIZERS.filter((id) => plan.has(id)).map((id) => {
      const smallRun = done.find((d) => d.spec.optimizer === id && d.spec.batchSize === small)!;
      const largeRuns = done.filter((d) => d.spec.optimizer === id && d.spec.batchSize === large).map((d) => ({ lr: d.spec.lr, score: d.result.score, run: d.result }));
      const best = bestPoint(largeRuns) ?? largeRuns[0]!;
      return { id, baseLr: smallRun.spec.lr, largeLr: best.lr, smallRun: smallRun.result, largeRun: best.run, drop: smallRun.result.testAccuracy - best.run.testAccuracy };
    });
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    const layerwiseDrop = mean(results.filter((r) => LAYERWISE.has(r.id)).map((r) => r.drop));
    const plainDrop = mean(results.filter((r) => !LAYERWISE.has(r.id)).map((r) => r.drop));
    const holds = layerwiseDrop < plainDrop;
    const largeSteps = results[0]?.largeRun.curve.length ?? 0;
    const label = (id: string) => raceEntry(id).label;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: 'holds when LAMB/LARS lose less test accuracy on average than Adam/SGD from the small to the large batch (one seed)',
      method: `The table task for ${epochs} epochs at batch ${small} (each optimizer at its table-task lr) and at batch ${large} (${largeSteps} steps, lr chosen among 1, √${large / small} and ${large / small} times the table-task lr by training loss). The drop is test accuracy at batch ${small} minus at batch ${large}.`,
      summary: `Mean accuracy drop from batch ${small} to ${large}: LAMB/LARS ${num(100 * layerwiseDrop)} points, Adam/SGD ${num(100 * plainDrop)} points. ` + results.map((r) => `${label(r.id)} ${percent(r.smallRun.testAccuracy)} → ${percent(r.largeRun.testAccuracy)}`).join(', ') + '.',
      interpretation: 'At equal epochs a larger batch takes fewer steps; a per-layer trust ratio lets LAMB and LARS take larger steps safely.',
      values: {
        smallBatch: small,
        largeBatch: large,
        epochs,
        results: Object.fromEntries(results.map((r) => [r.id, { smallLr: r.baseLr, largeLr: r.largeLr, smallAccuracy: r.smallRun.testAccuracy, largeAccuracy: r.largeRun.testAccuracy, drop: r.drop }])),
        meanDrop: { layerwise: layerwiseDrop, plain: plainDrop },
      },
      table: {
        headers: ['optimizer', `lr @${small}`, `test acc. @${small}`, `lr @${large}`, `test acc. @${large}`, 'drop'],
        rows: results.map((r) => [label(r.id), num(r.baseLr), percent(r.smallRun.testAccuracy), num(r.largeLr), percent(r.largeRun.testAccuracy), `${num(100 * r.drop)} pt`]),
      },
      figures: [
        { kind: 'line', name: 'claim-10-large-batch', title: `Training loss at batch ${large} (${largeSteps} steps = ${epochs} epochs)`, xLabel: 'step', yLabel: 'cross-entropy (EMA)', logY: true, series: results.map((r) => ({ label: `${label(r.id)} (lr ${r.largeLr})`, color: r.id, points: curvePoints(r.largeRun.curve) })) },
      ],
    };
  },
});

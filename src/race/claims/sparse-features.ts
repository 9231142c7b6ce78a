/**
 * Claim 4: SGD lags on sparse features; Adagrad fixes it. Logistic regression on hashed
 * bag-of-words emails, each optimizer's lr swept by training loss.
 */
import { raceEntry } from '../entries.js';
import { smooth, tailMean } from '../harness.js';
import { sparseTask, trainSparseLogistic } from '../sparse.js';
import { bestPoint, edgeExtension, finiteScore, lrGrid } from '../sweep.js';
import { defineClaim, type Budget } from '../types.js';
import { curvePoints, num, percent } from './format.js';

interface Settings {
  readonly trainSize: number;
  readonly testSize: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lrFactors: readonly number[];
}

interface Spec {
  readonly budget: Budget;
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  readonly settings: Settings;
}

interface Result {
  readonly score: number;
  readonly losses: readonly number[];
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly rareWeight: number;
  readonly frequentWeight: number;
  readonly rareFeatures: number;
  readonly trainEmails: number;
  readonly testEmails: number;
  readonly columns: number;
}

const OPTIMIZERS = ['sgd', 'adagrad', 'adam'] as const;
const EDGE_EXTENSIONS = 2;

export const sparseFeatures = defineClaim<Settings, Spec, Result>({
  id: 'sparse-features',
  number: 4,
  title: 'SGD lags on sparse features; Adagrad fixes it',
  statement: 'With sparse features one learning rate for all is wrong: rare features get few, small updates under SGD, while Adagrad gives them larger steps and learns faster.',
  literature: ['Duchi, Hazan & Singer (2011), Adaptive subgradient methods for online learning and stochastic optimization'],
  requires: { all: ['sgd', 'adagrad'], oneOf: [] },
  budgets: {
    quick: { trainSize: 1200, testSize: 500, epochs: 1, batchSize: 32, lrFactors: [0.3, 3, 30] },
    default: { trainSize: 4837, testSize: 1209, epochs: 2, batchSize: 32, lrFactors: [0.1, 0.3, 1, 3, 10, 30, 100] },
    full: { trainSize: 4837, testSize: 1209, epochs: 5, batchSize: 32, lrFactors: [0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300] },
  },
  shared: [],
  seeded: true,
  trials(plan) {
    return OPTIMIZERS.filter((id) => plan.has(id)).flatMap((optimizer) =>
      lrGrid(raceEntry(optimizer).centerLr.network, plan.settings.lrFactors).map((lr) => ({ budget: plan.budget.name, optimizer, lr, seed: plan.seeds[0]!, settings: plan.settings })),
    );
  },
  followUp(plan, done) {
    const more: Spec[] = [];
    for (const optimizer of OPTIMIZERS.filter((id) => plan.has(id))) {
      const points = done.filter((d) => d.spec.optimizer === optimizer).map((d) => ({ lr: d.spec.lr, score: d.result.score }));
      const grid = plan.settings.lrFactors;
      const next = edgeExtension(points, grid[grid.length - 1]! / grid[grid.length - 2]!, points.length - grid.length, EDGE_EXTENSIONS);
      if (next !== null && !points.some((p) => p.lr === next)) more.push({ budget: plan.budget.name, optimizer, lr: next, seed: plan.seeds[0]!, settings: plan.settings });
    }
    return more;
  },
  runTrial(spec, env) {
    const { trainSize, testSize, epochs, batchSize } = spec.settings;
    const task = sparseTask(env.datasets, trainSize, testSize);
    const run = trainSparseLogistic(task, raceEntry(spec.optimizer).factory(), { lr: spec.lr, epochs, batchSize, seed: spec.seed, sparseGrad: false, now: env.now });
    // How many training emails use each hashed feature: "rare" in 1–2, "frequent" in 50 or more.
    const frequency = new Int32Array(task.columns);
    for (let p = 0; p < task.trainX.nnz; p++) frequency[task.trainX.indices[p]!]! += 1;
    const meanMagnitude = (keep: (f: number) => boolean): number => {
      let sum = 0;
      let count = 0;
      for (let c = 0; c < task.columns; c++) {
        if (!keep(frequency[c]!)) continue;
        sum += Math.abs(run.weights[c]!);
        count += 1;
      }
      return count === 0 ? 0 : sum / count;
    };
    const stepsPerEpoch = Math.floor(task.trainX.rows / batchSize);
    return {
      score: run.diverged || !Number.isFinite(run.trainLoss) ? Number.POSITIVE_INFINITY : finiteScore(tailMean(run.losses, Math.max(5, stepsPerEpoch))),
      losses: Array.from(smooth(run.losses)),
      testLoss: run.testLoss,
      testAccuracy: run.testAccuracy,
      rareWeight: meanMagnitude((f) => f >= 1 && f <= 2),
      frequentWeight: meanMagnitude((f) => f >= 50),
      rareFeatures: Array.from(frequency).filter((f) => f >= 1 && f <= 2).length,
      trainEmails: task.trainX.rows,
      testEmails: task.testX.rows,
      columns: task.columns,
    };
  },
  conclude(done, plan) {
    const { epochs, batchSize, lrFactors } = plan.settings;
    const chosen = OPTIMIZERS.filter((id) => plan.has(id)).map((id) => {
      const runs = done.filter((d) => d.spec.optimizer === id);
      const best = bestPoint(runs.map((d) => ({ lr: d.spec.lr, score: d.result.score, result: d.result }))) ?? { lr: runs[0]!.spec.lr, score: Number.POSITIVE_INFINITY, result: runs[0]!.result };
      return { id, lr: best.lr, run: best.result };
    });
    const sgd = chosen.find((c) => c.id === 'sgd')!;
    const adagrad = chosen.find((c) => c.id === 'adagrad')!;
    const first = sgd.run;
    const steps = first.losses.length;
    const holds = adagrad.run.testLoss < sgd.run.testLoss;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: "holds when Adagrad's test loss is below SGD's (one seed)",
      method: `Logistic regression (no bias) on L2-normalized hashed bag-of-words features of SpamAssassin emails, ${first.trainEmails} for training and ${first.testEmails} for testing, ${epochs} epoch(s) of mini-batches of ${batchSize} in the same seeded order for every optimizer (${steps} steps each). Each optimizer's learning rate is the best of its default × ${lrFactors.join(', ')} by training loss (SGD's centre is 0.1), extended by up to two grid steps when the best lies at an end of the grid. "Rare" features appear in 1–2 training emails, "frequent" in 50 or more; the table shows the mean |w| the optimizer gave each kind.`,
      summary: `After ${steps} equal steps: Adagrad test loss ${num(adagrad.run.testLoss)} (accuracy ${percent(adagrad.run.testAccuracy)}) vs SGD ${num(sgd.run.testLoss)} (${percent(sgd.run.testAccuracy)}); mean |w| on rare features: Adagrad ${num(adagrad.run.rareWeight)}, SGD ${num(sgd.run.rareWeight)}.`,
      interpretation: 'Adagrad divides each coordinate\'s step by the root of its own accumulated squared gradients, so a feature seen rarely keeps a large step while frequent ones slow down; SGD gives every feature the same step.',
      values: {
        trainEmails: first.trainEmails,
        testEmails: first.testEmails,
        steps,
        rareFeatures: first.rareFeatures,
        results: Object.fromEntries(chosen.map((c) => [c.id, { lr: c.lr, testLoss: c.run.testLoss, testAccuracy: c.run.testAccuracy, rareWeight: c.run.rareWeight, frequentWeight: c.run.frequentWeight }])),
      },
      table: {
        headers: ['optimizer', 'lr', 'test loss', 'test accuracy', 'mean |w| rare', 'mean |w| frequent'],
        rows: chosen.map((c) => [raceEntry(c.id).label, num(c.lr), num(c.run.testLoss), percent(c.run.testAccuracy), num(c.run.rareWeight), num(c.run.frequentWeight)]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-4-sparse-loss',
          title: `Logistic regression on ${first.trainEmails} emails (${first.columns} hashed features)`,
          xLabel: 'step',
          yLabel: 'logistic loss (EMA)',
          series: chosen.map((c) => ({ label: `${raceEntry(c.id).label} (lr ${c.lr})`, color: c.id, points: curvePoints(c.run.losses) })),
        },
      ],
    };
  },
});

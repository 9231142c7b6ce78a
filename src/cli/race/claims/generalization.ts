/**
 * Claims about where training ends up on MNIST: schedule vs Adam (8), decoupled weight decay
 * (9), large batches (10), sensitivity to the learning rate (11), flatness under SAM (12).
 * Every run starts from the same weights and sees the same batches; learning rates come from
 * the table task's sweep unless the claim sweeps them itself.
 */
import { Generator } from '../../../tensor/random.js';
import { cosineAnnealing } from '../../../schedulers/index.js';
import { lineChart } from '../../report/charts.js';
import { trainClassifier, evaluate, smooth, type TrainResult } from '../harness.js';
import { sweep, roundLr, type RaceContext } from '../context.js';
import { trainingScore } from '../stages.js';
import { l2, sharpness } from '../probes.js';
import type { ClaimResult } from '../results.js';
import { statement, missingFor, notRun, num, percent } from './statements.js';

/** Standard error of an accuracy p measured on n samples: the tolerance for "as well as". */
function standardError(p: number, n: number): number {
  return Math.sqrt(Math.max(p * (1 - p), 1e-4) / n);
}

function weightNorm(run: TrainResult): number {
  return Math.sqrt(run.model.parameters().reduce((sum, p) => sum + l2(p.data) ** 2, 0));
}

const curve = (run: TrainResult): Array<[number, number]> => Array.from(smooth(run.losses), (v, t) => [t + 1, v] as [number, number]);

// ---------------------------------------------------------------------------------------------
// 8. SGD + momentum with a schedule vs Adam

export function scheduleClaim(context: RaceContext): ClaimResult {
  const claim = statement(8);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const task = context.mnist;
  const steps = context.budget.generalizationSteps;
  const common = { steps, batchSize: context.budget.batchSize, seed: context.seed };
  const sgdLr = context.tableLr('momentum');
  const adamLr = context.tableLr('adam');
  const sgd = trainClassifier(task, context.entry('momentum').factory(), { ...common, lr: sgdLr, schedule: (baseLr) => cosineAnnealing({ baseLr, TMax: steps }) });
  const adam = trainClassifier(task, context.entry('adam').factory(), { ...common, lr: adamLr });
  const testCount = task.test.x.shape[0]!;
  const tolerance = standardError(adam.testAccuracy, testCount);
  const holds = sgd.testAccuracy >= adam.testAccuracy - tolerance;
  context.charts.set(
    'claim-8-schedule.svg',
    lineChart({
      title: `SGD + momentum (cosine schedule) vs Adam: training loss over ${steps} steps`,
      xLabel: 'step',
      yLabel: 'cross-entropy (EMA)',
      logY: true,
      series: [
        { name: `SGD + momentum, cosine from lr ${sgdLr}`, color: context.color('momentum'), points: curve(sgd) },
        { name: `Adam, lr ${adamLr}`, color: context.color('adam'), points: curve(adam) },
      ],
    }),
  );
  const row = (name: string, run: TrainResult) => [name, percent(run.trainAccuracy), percent(run.testAccuracy), percent(run.trainAccuracy - run.testAccuracy), num(run.testLoss)];
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `The table task trained ${steps} steps from the same start and batches: SGD with momentum 0.9 at its table-task lr ${sgdLr} decayed by cosine annealing to 0 (src/schedulers' cosineAnnealing), and Adam at its table-task lr ${adamLr}, constant. The claim holds when SGD's test accuracy is at least Adam's minus one standard error of a ${testCount}-digit test set (${percent(tolerance)}).`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary: `Test accuracy: SGD + momentum with cosine ${percent(sgd.testAccuracy)} (train ${percent(sgd.trainAccuracy)}), Adam ${percent(adam.testAccuracy)} (train ${percent(adam.trainAccuracy)}); tolerance ±${percent(tolerance)}.`,
    figures: {
      steps,
      sgdMomentum: { lr: sgdLr, trainAccuracy: sgd.trainAccuracy, testAccuracy: sgd.testAccuracy, testLoss: sgd.testLoss },
      adam: { lr: adamLr, trainAccuracy: adam.trainAccuracy, testAccuracy: adam.testAccuracy, testLoss: adam.testLoss },
      tolerance,
    },
    table: { headers: ['optimizer', 'train accuracy', 'test accuracy', 'gap', 'test loss'], rows: [row('SGD + momentum, cosine', sgd), row('Adam', adam)] },
    charts: ['claim-8-schedule.svg'],
  };
}

// ---------------------------------------------------------------------------------------------
// 9. AdamW vs Adam + L2

export function weightDecayClaim(context: RaceContext): ClaimResult {
  const claim = statement(9);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const task = context.mnist;
  const steps = context.budget.generalizationSteps;
  const lr = context.tableLr('adam');
  const decays = context.budget.weightDecays;
  const variants = [
    { id: 'adam', name: 'Adam + L2' },
    { id: 'adamw', name: 'AdamW' },
  ] as const;
  const results = variants.map(({ id, name }) => {
    const runs = decays.map((weightDecay) => {
      const run = trainClassifier(task, context.entry(id).factory({ weightDecay }), { steps, batchSize: context.budget.batchSize, seed: context.seed, lr });
      return { weightDecay, run, validation: run.diverged ? 0 : evaluate(run.model, task.validation).accuracy };
    });
    const best = runs.reduce((a, b) => (b.validation > a.validation ? b : a));
    return { id, name, runs, best };
  });
  const [adam, adamw] = results as [(typeof results)[0], (typeof results)[0]];
  const testCount = task.test.x.shape[0]!;
  const tolerance = standardError(adam.best.run.testAccuracy, testCount);
  const holds = adamw.best.run.testAccuracy >= adam.best.run.testAccuracy - tolerance;
  const largest = decays[decays.length - 1]!;
  const normAt = (r: (typeof results)[0], decay: number) => weightNorm(r.runs.find((x) => x.weightDecay === decay)!.run);
  context.charts.set(
    'claim-9-weight-decay.svg',
    lineChart({
      title: 'Validation accuracy against weight decay λ',
      xLabel: 'λ',
      yLabel: 'validation accuracy',
      logX: true,
      series: results.map((r) => ({ name: r.name, color: context.color(r.id), points: r.runs.map((x) => [x.weightDecay, x.validation] as [number, number]) })),
    }),
  );
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `The table task, ${steps} steps at Adam's table-task lr ${lr} for both, same start and batches, with weight decay λ ∈ {${decays.join(', ')}}: Adam adds λθ to the gradient (L2, rescaled by the adaptive denominator), AdamW shrinks θ by (1 − lr·λ) directly. Each picks its λ by accuracy on ${task.validation.x.shape[0]} held-out training digits; the claim holds when AdamW's test accuracy at its λ is at least Adam + L2's minus one standard error (${percent(tolerance)}).`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary: `AdamW (λ = ${adamw.best.weightDecay}) reaches ${percent(adamw.best.run.testAccuracy)} test accuracy, Adam + L2 (λ = ${adam.best.weightDecay}) ${percent(adam.best.run.testAccuracy)}; at λ = ${largest} the weights' norm is ${num(normAt(adamw, largest))} under AdamW vs ${num(normAt(adam, largest))} under Adam + L2.`,
    figures: {
      lr,
      chosen: Object.fromEntries(results.map((r) => [r.id, { weightDecay: r.best.weightDecay, validationAccuracy: r.best.validation, testAccuracy: r.best.run.testAccuracy, weightNorm: weightNorm(r.best.run) }])),
      validationByDecay: Object.fromEntries(results.map((r) => [r.id, r.runs.map((x) => x.validation)])),
      tolerance,
    },
    table: {
      headers: ['optimizer', ...decays.map((d) => `val. acc. λ=${d}`), 'chosen λ', 'test accuracy', '‖θ‖'],
      rows: results.map((r) => [r.name, ...r.runs.map((x) => percent(x.validation)), String(r.best.weightDecay), percent(r.best.run.testAccuracy), num(weightNorm(r.best.run))]),
    },
    charts: ['claim-9-weight-decay.svg'],
  };
}

// ---------------------------------------------------------------------------------------------
// 10. Large batches

export function largeBatchClaim(context: RaceContext): ClaimResult {
  const claim = statement(10);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const task = context.mnist;
  const small = context.budget.batchSize;
  const { batchSize: large, epochs } = context.budget.largeBatch;
  const samples = task.train.x.shape[0]!;
  const stepsFor = (batch: number) => epochs * Math.floor(samples / batch);
  const scale = large / small;
  const ids = ['lamb', 'lars', 'adam', 'sgd', 'momentum'].filter((id) => context.has(id));
  const results = ids.map((id) => {
    const entry = context.entry(id);
    const baseLr = context.tableLr(id);
    const smallRun = trainClassifier(task, entry.factory(), { steps: stepsFor(small), batchSize: small, seed: context.seed, lr: baseLr });
    // At the large batch each optimizer gets its own sweep: the base lr, √k and k times it (k = batch ratio).
    const lrs = [1, Math.sqrt(scale), scale].map((f) => roundLr(baseLr * f));
    const swept = sweep(lrs, (lr) => trainClassifier(task, entry.factory(), { steps: stepsFor(large), batchSize: large, seed: context.seed, lr }), trainingScore);
    const largeRun = swept.best.result;
    return { id, baseLr, largeLr: swept.best.lr, smallRun, largeRun, drop: smallRun.testAccuracy - largeRun.testAccuracy };
  });
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const layerwise = results.filter((r) => r.id === 'lamb' || r.id === 'lars');
  const plain = results.filter((r) => r.id !== 'lamb' && r.id !== 'lars');
  const layerwiseDrop = mean(layerwise.map((r) => r.drop));
  const plainDrop = mean(plain.map((r) => r.drop));
  const holds = layerwiseDrop < plainDrop;
  context.charts.set(
    'claim-10-large-batch.svg',
    lineChart({
      title: `Training loss at batch ${large} (${stepsFor(large)} steps = ${epochs} epochs)`,
      xLabel: 'step',
      yLabel: 'cross-entropy (EMA)',
      logY: true,
      series: results.map((r) => ({ name: `${context.entry(r.id).label} (lr ${r.largeLr})`, color: context.color(r.id), points: curve(r.largeRun) })),
    }),
  );
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `The table task for ${epochs} epochs of its ${samples} digits at batch ${small} (${stepsFor(small)} steps, each optimizer at its table-task lr) and at batch ${large} (${stepsFor(large)} steps, lr chosen among 1, √${scale} and ${scale} times the table-task lr by training loss). The drop is test accuracy at batch ${small} minus at batch ${large}. The claim holds when LAMB/LARS lose less accuracy on average than Adam/SGD.`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary: `Mean accuracy drop from batch ${small} to ${large}: LAMB/LARS ${num(100 * layerwiseDrop)} points, Adam/SGD ${num(100 * plainDrop)} points. ` + results.map((r) => `${context.entry(r.id).label} ${percent(r.smallRun.testAccuracy)} → ${percent(r.largeRun.testAccuracy)}`).join(', ') + '.',
    figures: {
      smallBatch: small,
      largeBatch: large,
      epochs,
      results: Object.fromEntries(results.map((r) => [r.id, { smallLr: r.baseLr, largeLr: r.largeLr, smallAccuracy: r.smallRun.testAccuracy, largeAccuracy: r.largeRun.testAccuracy, drop: r.drop }])),
      meanDrop: { layerwise: layerwiseDrop, plain: plainDrop },
    },
    table: {
      headers: ['optimizer', `lr @${small}`, `test acc. @${small}`, `lr @${large}`, `test acc. @${large}`, 'drop'],
      rows: results.map((r) => [context.entry(r.id).label, num(r.baseLr), percent(r.smallRun.testAccuracy), num(r.largeLr), percent(r.largeRun.testAccuracy), `${num(100 * r.drop)} pt`]),
    },
    charts: ['claim-10-large-batch.svg'],
  };
}

// ---------------------------------------------------------------------------------------------
// 11. Sensitivity to the learning rate

export function sensitivityClaim(context: RaceContext): ClaimResult {
  const claim = statement(11);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const task = context.mnist;
  const { factors, seeds, steps } = context.budget.sensitivity;
  const centre = context.entry('adam').centerLr.network;
  const lrs = factors.map((f) => roundLr(centre * f));
  // A diverged run counts as no progress: the loss of guessing among 10 classes.
  const chance = Math.log(10);
  const ids = ['adam', 'lookahead', 'radam', 'momentum'].filter((id) => context.has(id));
  const results = ids.map((id) => {
    const factory = context.entry(id).factory();
    // SGD + momentum is shown for reference on its own scale (its centre, same factors).
    const grid = id === 'momentum' ? factors.map((f) => roundLr(context.entry(id).centerLr.network * f)) : lrs;
    const finals = Array.from({ length: seeds }, (_, s) =>
      grid.map((lr) => {
        const run = trainClassifier(task, factory, { steps, batchSize: context.budget.batchSize, seed: context.seed + 1000 * s, lr });
        return Math.min(trainingScore(run), chance);
      }),
    );
    const spread = finals.reduce((sum, perLr) => sum + (Math.max(...perLr) - Math.min(...perLr)), 0) / seeds;
    const meanByLr = grid.map((_, k) => finals.reduce((sum, perLr) => sum + perLr[k]!, 0) / seeds);
    // A second view of the same runs: how many learning rates land within 25% of the best.
    const best = Math.min(...meanByLr);
    const nearBest = meanByLr.filter((v) => v <= 1.25 * best).length;
    return { id, grid, spread, meanByLr, nearBest };
  });
  const adam = results.find((r) => r.id === 'adam')!;
  const challengers = results.filter((r) => r.id === 'lookahead' || r.id === 'radam');
  const holds = challengers.every((r) => r.spread < adam.spread);
  context.charts.set(
    'claim-11-sensitivity.svg',
    lineChart({
      title: `Final training loss against learning rate (mean of ${seeds} seeds, ${steps} steps)`,
      xLabel: 'learning rate',
      yLabel: 'final loss',
      logX: true,
      series: results.map((r) => ({ name: context.entry(r.id).label, color: context.color(r.id), dashed: r.id === 'momentum', points: r.grid.map((lr, k) => [lr, r.meanByLr[k]!] as [number, number]) })),
    }),
  );
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `The table task, ${steps} steps, learning rates ${lrs.join(', ')} (Adam's default × ${factors.join(', ')}) for Adam, Lookahead around Adam and RAdam, ${seeds} seeds each (start and batch order change with the seed). Final loss = mean training loss over the last fifth of the steps, capped at ln 10 (chance) for diverged runs. Spread = the range (max − min) of the final loss across learning rates, averaged over seeds. The claim holds when Lookahead and RAdam both have a smaller spread than Adam. SGD + momentum is shown for reference on its own grid.`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary: `Spread of final loss across learning rates: ${results.map((r) => `${context.entry(r.id).label} ${num(r.spread)}`).join(', ')}. Learning rates within 25% of the best loss: ${results.map((r) => `${context.entry(r.id).label} ${r.nearBest} of ${r.grid.length}`).join(', ')}.`,
    figures: {
      lrs,
      seeds,
      spread: Object.fromEntries(results.map((r) => [r.id, r.spread])),
      learningRatesNearBest: Object.fromEntries(results.map((r) => [r.id, r.nearBest])),
      meanFinalLoss: Object.fromEntries(results.map((r) => [r.id, r.meanByLr])),
    },
    table: {
      headers: ['optimizer', ...factors.map((f) => `lr × ${f}`), 'spread', 'within 25% of best'],
      rows: results.map((r) => [context.entry(r.id).label, ...r.meanByLr.map((v) => num(v)), num(r.spread), `${r.nearBest} of ${r.grid.length}`]),
    },
    charts: ['claim-11-sensitivity.svg'],
  };
}

// ---------------------------------------------------------------------------------------------
// 12. SAM and flat minima

/** Perturbation radius, as a fraction of the initial weights' norm (the same radius for both runs). */
const RADIUS_FRACTION = 0.25;

export function samClaim(context: RaceContext): ClaimResult {
  const claim = statement(12);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const task = context.mnist;
  const steps = context.budget.generalizationSteps;
  const lr = context.tableLr('momentum');
  const initialNorm = Math.sqrt(task.buildModel(new Generator(context.seed)).parameters().reduce((sum, p) => sum + l2(p.data) ** 2, 0));
  const radius = RADIUS_FRACTION * initialNorm;
  const probe = { x: task.train.x.slice(0, Math.min(1000, task.train.x.shape[0]!)), y: task.train.y.slice(0, Math.min(1000, task.train.y.shape[0]!)) };
  const results = (['momentum', 'sam'] as const).map((id) => {
    const run = trainClassifier(task, context.entry(id).factory(), { steps, batchSize: context.budget.batchSize, seed: context.seed, lr });
    // The same random directions for both: the generator is reseeded per measurement.
    const sharp = run.diverged ? { base: Number.POSITIVE_INFINITY, increase: Number.POSITIVE_INFINITY, increases: [] } : sharpness(run.model, probe, radius, context.budget.sharpnessSamples, new Generator(context.seed + 12));
    return { id, run, sharp };
  });
  const [base, sam] = results as [(typeof results)[0], (typeof results)[0]];
  const holds = sam.sharp.increase < base.sharp.increase;
  context.charts.set(
    'claim-12-sam.svg',
    lineChart({
      title: `SGD + momentum vs SAM around it (ρ = 0.05), lr ${lr}`,
      xLabel: 'step',
      yLabel: 'cross-entropy (EMA)',
      logY: true,
      series: results.map((r) => ({ name: context.entry(r.id).label, color: context.color(r.id), points: curve(r.run) })),
    }),
  );
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `The table task, ${steps} steps from the same start and batches: SGD with momentum 0.9 at its table-task lr ${lr}, and SAM (ρ = 0.05) around the same SGD at the same lr (SAM takes two gradients per step). Sharpness = mean increase of the training loss (on ${probe.x.shape[0]} training digits) when all weights move by ±d, d a random direction of norm ${num(radius)} (${RADIUS_FRACTION} of the initial weights' norm; the ± pair cancels the slope and leaves the curvature), over ${context.budget.sharpnessSamples} directions, the same directions for both. The claim holds when SAM's minimum is less sharp.`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary: `Loss increase under perturbations of norm ${num(radius)}: SAM ${num(sam.sharp.increase)} (from ${num(sam.sharp.base)}), SGD + momentum ${num(base.sharp.increase)} (from ${num(base.sharp.base)}); test accuracy ${percent(sam.run.testAccuracy)} vs ${percent(base.run.testAccuracy)}.`,
    figures: {
      lr,
      radius,
      sharpness: Object.fromEntries(results.map((r) => [r.id, r.sharp.increase])),
      trainLossAtMinimum: Object.fromEntries(results.map((r) => [r.id, r.sharp.base])),
      testAccuracy: Object.fromEntries(results.map((r) => [r.id, r.run.testAccuracy])),
    },
    table: {
      headers: ['optimizer', 'training loss', 'loss increase (sharpness)', 'test accuracy'],
      rows: results.map((r) => [context.entry(r.id).label, num(r.sharp.base), num(r.sharp.increase), percent(r.run.testAccuracy)]),
    },
    charts: ['claim-12-sam.svg'],
  };
}

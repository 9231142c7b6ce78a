/**
 * Claim 9: AdamW's decoupled weight decay beats Adam + L2. Both at Adam's table-task lr, each
 * picking its weight decay by validation accuracy.
 */
import { runMnistTrial, type MnistTrialResult, type MnistTrialSpec } from '../mnist-trial.js';
import { tableLr } from '../shared/table.js';
import { defineClaim } from '../types.js';
import { num, percent } from './format.js';

interface Settings {
  readonly steps: number;
  readonly weightDecays: readonly number[];
}

const VARIANTS = [
  { id: 'adam', name: 'Adam + L2' },
  { id: 'adamw', name: 'AdamW' },
] as const;

/** Standard error of an accuracy p measured on n samples: the tolerance for "as well as". */
function standardError(p: number, n: number): number {
  return Math.sqrt(Math.max(p * (1 - p), 1e-4) / n);
}

export const weightDecay = defineClaim<Settings, MnistTrialSpec, MnistTrialResult>({
  id: 'weight-decay',
  number: 9,
  title: "AdamW's decoupled weight decay beats Adam + L2",
  statement: "Adding an L2 penalty to Adam's gradient is not weight decay (the penalty is rescaled per coordinate); decoupling it, as AdamW does, regularizes better.",
  literature: ['Loshchilov & Hutter (2019), Decoupled weight decay regularization'],
  requires: { all: ['adam', 'adamw'], oneOf: [] },
  budgets: {
    quick: { steps: 200, weightDecays: [1e-3, 1e-1] },
    default: { steps: 1500, weightDecays: [1e-4, 1e-3, 1e-2, 1e-1] },
    full: { steps: 3000, weightDecays: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1] },
  },
  shared: ['table'],
  seeded: true,
  trials(plan) {
    const lr = tableLr(plan.shared.table, 'adam');
    return VARIANTS.flatMap(({ id }) =>
      plan.settings.weightDecays.map((weightDecay) => ({ budget: plan.budget.name, optimizer: id, options: { weightDecay }, lr, seed: plan.seeds[0]!, steps: plan.settings.steps, batchSize: plan.budget.batchSize, validation: true })),
    );
  },
  runTrial: runMnistTrial,
  conclude(done, plan) {
    const { steps, weightDecays: decays } = plan.settings;
    const lr = done[0]!.spec.lr;
    const results = VARIANTS.map(({ id, name }) => {
      const runs = decays.map((weightDecay) => ({ weightDecay, result: done.find((d) => d.spec.optimizer === id && d.spec.options!.weightDecay === weightDecay)!.result }));
      const best = runs.reduce((a, b) => (b.result.validationAccuracy! > a.result.validationAccuracy! ? b : a));
      return { id, name, runs, best };
    });
    const [adam, adamw] = results as [(typeof results)[0], (typeof results)[0]];
    const tolerance = standardError(adam.best.result.testAccuracy, adam.best.result.testCount);
    const holds = adamw.best.result.testAccuracy >= adam.best.result.testAccuracy - tolerance;
    const largest = decays[decays.length - 1]!;
    const normAt = (r: (typeof results)[0], decay: number) => r.runs.find((x) => x.weightDecay === decay)!.result.weightNorm;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: `holds when AdamW's test accuracy at its chosen λ is at least Adam + L2's minus one standard error (${percent(tolerance)}; one seed)`,
      method: `The table task, ${steps} steps at Adam's table-task lr ${lr} for both, same start and batches, with weight decay λ ∈ {${decays.join(', ')}}: Adam adds λθ to the gradient (L2, rescaled by the adaptive denominator), AdamW shrinks θ by (1 − lr·λ) directly. Each picks its λ by accuracy on the held-out validation digits.`,
      summary: `AdamW (λ = ${adamw.best.weightDecay}) reaches ${percent(adamw.best.result.testAccuracy)} test accuracy, Adam + L2 (λ = ${adam.best.weightDecay}) ${percent(adam.best.result.testAccuracy)}; at λ = ${largest} the weights' norm is ${num(normAt(adamw, largest))} under AdamW vs ${num(normAt(adam, largest))} under Adam + L2.`,
      interpretation: "With L2 in the gradient, Adam divides the penalty by √v, so weights with large gradients are barely decayed; AdamW decays every weight by the same factor.",
      values: {
        lr,
        chosen: Object.fromEntries(results.map((r) => [r.id, { weightDecay: r.best.weightDecay, validationAccuracy: r.best.result.validationAccuracy, testAccuracy: r.best.result.testAccuracy, weightNorm: r.best.result.weightNorm }])),
        validationByDecay: Object.fromEntries(results.map((r) => [r.id, r.runs.map((x) => x.result.validationAccuracy)])),
        tolerance,
      },
      table: {
        headers: ['optimizer', ...decays.map((d) => `val. acc. λ=${d}`), 'chosen λ', 'test accuracy', '‖θ‖'],
        rows: results.map((r) => [r.name, ...r.runs.map((x) => percent(x.result.validationAccuracy!)), String(r.best.weightDecay), percent(r.best.result.testAccuracy), num(r.best.result.weightNorm)]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-9-weight-decay',
          title: 'Validation accuracy against weight decay λ',
          xLabel: 'λ',
          yLabel: 'validation accuracy',
          logX: true,
          series: results.map((r) => ({ label: r.name, color: r.id, points: r.runs.map((x) => [x.weightDecay, x.result.validationAccuracy!] as [number, number]) })),
        },
      ],
    };
  },
});

/**
 * "When to use which": the lecture's practical advice, each piece linked to the claims that
 * support or qualify it and to the comparison table, with the measured numbers. Built from
 * the results alone, so it says only what this run measured.
 */
import type { ClaimResult, RaceResults, TableRow } from './types.js';
import { num } from './claims/format.js';

export interface AdviceItem {
  /** The lecture's advice, in its words. */
  readonly advice: string;
  /** Measured evidence, one line each: a claim's verdict and numbers, or table numbers. */
  readonly evidence: ReadonlyArray<{ readonly claim: string | null; readonly text: string }>;
}

interface AdviceSpec {
  readonly advice: string;
  /** Claims that support or qualify the advice, by id. */
  readonly claims: readonly string[];
  /** Optimizers whose table rows bear on it. */
  readonly rows: readonly string[];
}

export const ADVICE: readonly AdviceSpec[] = [
  {
    advice: 'SGD with momentum: cheap per step and in memory, escapes flat regions faster than plain SGD, and with a decaying schedule generalizes as well as adaptive methods.',
    claims: ['memory', 'saddle', 'momentum', 'schedule', 'large-batch'],
    rows: ['sgd', 'momentum', 'adam'],
  },
  {
    advice: 'Adagrad for sparse features: rare features keep large steps.',
    claims: ['sparse-features', 'drift'],
    rows: ['adagrad'],
  },
  {
    advice: 'RMSProp for non-stationary objectives (and RNNs): its moving average keeps the step alive.',
    claims: ['drift'],
    rows: ['rmsprop'],
  },
  {
    advice: 'Adam as the default: fast progress with little tuning, bias-corrected early steps; use AdamW for weight decay.',
    claims: ['bias-correction', 'preconditioning', 'weight-decay', 'sensitivity', 'sam'],
    rows: ['adam', 'adamw'],
  },
];

function claimEvidence(claim: ClaimResult): string {
  const effect = claim.effect ? ` Effect ${num(claim.effect.mean)} (95 % CI ${num(claim.effect.lo)} to ${num(claim.effect.hi)}, n = ${claim.effect.n}).` : '';
  const wins = claim.wins ? ` ${claim.wins.count}/${claim.wins.of} ${claim.wins.unit}: ${claim.wins.what}.` : '';
  return `${claim.number}. ${claim.title} — ${claim.verdict}.${effect}${wins} ${claim.summary}`;
}

function rowEvidence(row: TableRow, rows: readonly TableRow[]): string {
  if (row.failed) return `${row.label}: failed at every learning rate on the table task.`;
  const comparable = rows.filter((r) => r.task === row.task && !r.failed).sort((a, b) => b.testAccuracy.mean - a.testAccuracy.mean);
  const rank = comparable.findIndex((r) => r.optimizer === row.optimizer) + 1;
  const ms = row.msPerStep ? `, ${num(row.msPerStep.median)} ms/step` : '';
  return `${row.label}: test accuracy ${num(100 * row.testAccuracy.mean)} ± ${num(100 * row.testAccuracy.sd)} % (rank ${rank} of ${comparable.length}${row.task === 'mnist' ? '' : ` on the ${row.task} task`}), ${num(row.stateBytesPerParam)} B/param of state${ms}, lr ${num(row.lr)}.`;
}

/** The advice with this run's evidence; claims or rows the run lacks are said to be missing. */
export function adviceFor(results: RaceResults): AdviceItem[] {
  return ADVICE.map((spec) => {
    const evidence: Array<{ claim: string | null; text: string }> = [];
    for (const id of spec.claims) {
      const claim = results.claims.find((c) => c.id === id);
      if (claim && claim.verdict !== 'not run') evidence.push({ claim: id, text: claimEvidence(claim) });
    }
    const rows = results.table?.rows ?? [];
    for (const id of spec.rows) {
      const row = rows.find((r) => r.optimizer === id);
      if (row) evidence.push({ claim: null, text: rowEvidence(row, rows) });
    }
    if (evidence.length === 0) evidence.push({ claim: null, text: 'Nothing in this run measures it.' });
    return { advice: spec.advice, evidence };
  });
}

/**
 * The race's results as text: the comparison table's cells (shared by the terminal and the
 * HTML report) and the terminal summary printed at the end of `descent race`.
 */
import type { ClaimResult, OverSeeds, RaceResults, TableOutcome, TableRow } from '../types.js';
import { shortNumber } from './svg.js';
import { formatTable } from './terminal.js';

/** Not measured: the column does not apply (e.g. no timing for a failed optimizer). */
export const NOT_MEASURED = 'n/m';

export function meanSd(value: OverSeeds, format: (v: number) => string): string {
  if (value.values.length === 0 || !Number.isFinite(value.mean)) return NOT_MEASURED;
  return value.values.length > 1 ? `${format(value.mean)} ± ${format(value.sd)}` : format(value.mean);
}

const pct = (v: number): string => (100 * v).toFixed(1);

/** Steps to the target loss: the median over seeds, `>N` when most seeds did not reach it within N steps. */
export function stepsToTargetCell(row: TableRow, steps: number): string {
  if (row.failed || row.stepsToTarget.length === 0) return NOT_MEASURED;
  const reached = row.stepsToTarget.filter((s): s is number => s !== null).sort((a, b) => a - b);
  if (reached.length * 2 <= row.stepsToTarget.length) return `>${steps}`;
  const all = row.stepsToTarget.map((s) => s ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  const mid = all.length >> 1;
  const median = all.length % 2 === 1 ? all[mid]! : (all[mid - 1]! + all[mid]!) / 2;
  return Number.isFinite(median) ? String(Math.round(median)) : `>${steps}`;
}

export const TABLE_HEADERS = ['optimizer', 'lr', 'state B/param', 'ms/step (IQR)', 'train loss', 'test acc. %', 'steps to target'] as const;
/** The terminal's headers: narrower, to fit 100 columns. */
export const TERMINAL_HEADERS = ['optimizer', 'lr', 'B/param', 'ms/step (IQR)', 'train loss', 'test acc. %', 'to target'] as const;

const ms = (v: number): string => String(Number(v.toPrecision(3)));

/** A row's cells; `name` is its label in the report, its id in the terminal. */
export function tableCells(row: TableRow, table: TableOutcome, name: 'label' | 'id' = 'label'): string[] {
  const first = name === 'label' ? row.label : row.optimizer;
  if (row.failed) {
    return [first, 'failed', shortNumber(row.stateBytesPerParam), NOT_MEASURED, 'failed at every lr', NOT_MEASURED, NOT_MEASURED];
  }
  const timing = row.msPerStep;
  return [
    first,
    row.lr === null ? NOT_MEASURED : shortNumber(row.lr),
    shortNumber(row.stateBytesPerParam),
    timing === null ? NOT_MEASURED : `${ms(timing.median)} (${ms(timing.lo)}–${ms(timing.hi)})`,
    meanSd(row.trainLoss, (v) => v.toFixed(3)) + (row.divergedSeeds > 0 ? ` (${row.divergedSeeds} div.)` : ''),
    meanSd(row.testAccuracy, pct),
    row.task === 'mnist' ? stepsToTargetCell(row, table.steps) : NOT_MEASURED,
  ];
}

/** The table's rows split into the table task's and each other task's block. */
export function tableBlocks(table: TableOutcome): Array<{ task: string; rows: TableRow[] }> {
  const blocks = new Map<string, TableRow[]>();
  for (const row of table.rows) blocks.set(row.task, [...(blocks.get(row.task) ?? []), row]);
  return [...blocks].map(([task, rows]) => ({ task, rows }));
}

export const OTHER_TASKS: Readonly<Record<string, string>> = {
  spam: 'needs row-sparse gradients, so it is measured on a different model and task: logistic regression on SpamAssassin emails (the sparse task). Not comparable with the rows above.',
};

/** The verdict and, when the claim rests on seeds, its effect and win count, in one line. */
export function evidenceLine(claim: ClaimResult): string {
  const parts: string[] = [];
  if (claim.effect) parts.push(`effect ${shortNumber(claim.effect.mean)} (95 % CI ${shortNumber(claim.effect.lo)} to ${shortNumber(claim.effect.hi)}, n = ${claim.effect.n})`);
  if (claim.wins) parts.push(`${claim.wins.count}/${claim.wins.of} ${claim.wins.unit}: ${claim.wins.what}`);
  return parts.join('; ');
}

/** Wraps prose to `width` columns after an indent. */
export function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

/** Seconds spent in trials, summed over sections and workers: what the run costs (CPU time where measured). */
function totalTrialSeconds(results: RaceResults): number {
  return Object.values(results.timings.trialSeconds).reduce((sum, seconds) => sum + seconds, 0);
}

/** The comparison table and the verdicts, for a terminal of 100 columns. */
export function terminalSummary(results: RaceResults, outDir: string | null, width = 100): string {
  const lines: string[] = [];
  lines.push(`descent race — budget ${results.budget}, seeds ${results.seeds[0]}–${results.seeds[results.seeds.length - 1]} (${results.seeds.length}), ${results.optimizers.length} optimizers, ${results.timings.workers} worker(s)`);
  const table = results.table;
  if (table !== null) {
    lines.push('');
    lines.push(wrap(`Comparison table: ${table.description}; mean ± sd over seeds; ms/step: median and interquartile range of interleaved timings; to target: median step where the running loss reaches ${shortNumber(table.lossTarget)}, >N = not reached in N steps; k div. = k seeds diverged (left out of the loss); ${NOT_MEASURED} = not measured.`, width, ''));
    for (const block of tableBlocks(table)) {
      if (block.task !== 'mnist') {
        lines.push('');
        lines.push(wrap(`${block.rows.map((r) => r.optimizer).join(', ')} ${OTHER_TASKS[block.task] ?? `is measured on the ${block.task} task.`}`, width, ''));
      }
      lines.push(formatTable([...TERMINAL_HEADERS], block.rows.map((row) => tableCells(row, table, 'id'))));
    }
  }
  lines.push('');
  lines.push('Claims');
  for (const claim of results.claims) {
    lines.push(`${String(claim.number).padStart(2)}. ${claim.title} — ${claim.verdict}`);
    if (claim.verdict === 'not run') {
      lines.push(wrap(claim.summary, width, '    '));
      continue;
    }
    lines.push(wrap(`Rule: ${claim.rule}.`, width, '    '));
    const evidence = evidenceLine(claim);
    if (evidence) lines.push(wrap(`Evidence: ${evidence}.`, width, '    '));
    lines.push(wrap(claim.summary, width, '    '));
  }
  const count = (v: string) => results.claims.filter((c) => c.verdict === v).length;
  const ran = results.claims.filter((c) => c.verdict !== 'not run').length;
  lines.push('');
  lines.push(`${count('holds')} of ${ran} claims hold here, ${count('does not hold here')} do not, ${count('inconclusive')} inconclusive.`);
  const ofCpu = results.timings.trialClock === 'cpu' ? ' of CPU' : '';
  lines.push(`${results.timings.totalSeconds.toFixed(1)} s wall clock; its trials took ${totalTrialSeconds(results).toFixed(1)} s${ofCpu} over ${results.timings.workers} worker(s).`);
  if (outDir !== null) lines.push(`Report: ${outDir}/report.html`);
  return lines.join('\n');
}

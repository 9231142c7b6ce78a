/**
 * The race's results as text: the comparison table's cells (shared by the terminal and the
 * HTML report) and the terminal summary printed at the end of `descent race`.
 */
import type { RaceResults, TableRow } from '../race/results.js';
import { shortNumber } from './svg.js';
import { formatTable } from './terminal.js';

export const TABLE_HEADERS = ['optimizer', 'lr (swept)', 'momentum', 'adaptive', 'state B/param', 'ms/step', 'final train loss', 'test accuracy', 'steps to target'] as const;

export function tableCells(row: TableRow, msPerStep: number | undefined): string[] {
  return [
    row.label,
    shortNumber(row.lr),
    row.momentum,
    row.adaptive,
    shortNumber(row.stateBytesPerParam),
    msPerStep === undefined ? '—' : msPerStep.toFixed(2),
    Number.isFinite(row.finalLoss) ? row.finalLoss.toFixed(4) : String(row.finalLoss),
    `${(100 * row.finalAccuracy).toFixed(1)}%`,
    row.stepsToTarget === null ? '—' : String(row.stepsToTarget),
  ];
}

/** The comparison table and the twelve verdicts, for the terminal. */
export function terminalSummary(results: RaceResults, outDir: string | null): string {
  const lines: string[] = [];
  lines.push(`descent race — budget ${results.budget}, seed ${results.seed}, ${results.optimizers.length} optimizers`);
  lines.push('');
  lines.push(`Comparison table (${results.tableTask.description}; target loss ${shortNumber(results.tableTask.lossTarget)})`);
  lines.push(formatTable([...TABLE_HEADERS], results.table.map((row) => tableCells(row, results.timings.msPerStep[row.optimizer]))));
  lines.push('');
  lines.push('Claims');
  for (const claim of results.claims) {
    lines.push(`${String(claim.id).padStart(2)}. ${claim.title} — ${claim.verdict}`);
    lines.push(`    ${claim.summary}`);
  }
  const holds = results.claims.filter((c) => c.verdict === 'holds').length;
  const ran = results.claims.filter((c) => c.verdict !== 'not run').length;
  lines.push('');
  lines.push(`${holds} of ${ran} claims hold here; total ${results.timings.totalSeconds.toFixed(1)} s.`);
  if (outDir !== null) lines.push(`Report: ${outDir}/report.html`);
  return lines.join('\n');
}

/**
 * Claim 7: the lecture's memory column against the bytes each optimizer actually keeps
 * after training the table task.
 */
import { barChart } from '../../report/charts.js';
import type { RaceContext } from '../context.js';
import { tableRows } from '../stages.js';
import type { ClaimResult } from '../results.js';
import { statement, missingFor, notRun, num } from './statements.js';

/** Parameters are float32: one buffer per parameter is 4 bytes per parameter. */
const BYTES_PER_BUFFER = 4;

function lectureColumn(buffers: number | null): string {
  if (buffers === null) return '—';
  return buffers === 0 ? 'O(1)' : `${buffers} buffer${buffers > 1 ? 's' : ''}`;
}

export function memoryClaim(context: RaceContext): ClaimResult {
  const claim = statement(7);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const { rows } = tableRows(context);
  const mismatches: string[] = [];
  const tableLines = rows.map((row) => {
    const entry = context.entry(row.optimizer);
    const measuredBuffers = row.stateBytesPerParam / BYTES_PER_BUFFER;
    const declared = entry.declaredStateBytes;
    const agrees = entry.lectureBuffers === null ? null : Math.abs(measuredBuffers - entry.lectureBuffers) < 0.01;
    if (agrees === false) mismatches.push(`${entry.label} keeps ${num(measuredBuffers)} buffer(s) (${num(row.stateBytesPerParam)} B/param), the lecture says ${lectureColumn(entry.lectureBuffers)}`);
    return [row.label, lectureColumn(entry.lectureBuffers), num(row.stateBytesPerParam), num(measuredBuffers), declared === null ? '—' : num(declared), agrees === null ? '—' : agrees ? 'yes' : 'no'];
  });
  const holds = mismatches.length === 0;
  context.charts.set(
    'claim-7-memory.svg',
    barChart({
      title: 'Optimizer state, measured after training (bytes per float32 parameter)',
      categories: rows.map((r) => r.optimizer),
      yLabel: 'bytes / parameter',
      series: [{ name: 'measured state', color: '#0072B2', values: rows.map((r) => r.stateBytesPerParam) }],
    }),
  );
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `After each optimizer trained the table task, every typed array reachable from the optimizer object (its per-parameter state, a wrapper's copies, L-BFGS's history and work vectors), excluding the parameters and their gradients, is summed and divided by the number of parameters. One float32 buffer per parameter is 4 bytes. The lecture's column counts buffers, with O(1) meaning no per-parameter buffer; "declared" is what the registry says for that configuration. The claim holds when every optimizer the lecture's column lists keeps the number of buffers it says.`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary: holds ? `Every optimizer the lecture lists keeps the memory it says (${rows.length} measured).` : `${mismatches.join('; ')}.`,
    figures: {
      bytesPerParam: Object.fromEntries(rows.map((r) => [r.optimizer, r.stateBytesPerParam])),
      mismatches,
    },
    table: { headers: ['optimizer', 'lecture', 'measured B/param', 'buffers', 'declared B/param', 'lecture agrees'], rows: tableLines },
    charts: ['claim-7-memory.svg'],
  };
}

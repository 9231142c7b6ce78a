/**
 * Claim 7: the lecture's memory column against the bytes each optimizer keeps, measured on
 * the comparison table's runs (SparseAdam on its own task). Two measures: what persists
 * between steps (every typed array reachable from the live optimizer, parameters and
 * gradients excluded) and what its state dict holds (what a checkpoint saves). They differ
 * for L-BFGS, whose work vectors persist but are not all in its state dict.
 */
import { raceEntry } from '../entries.js';
import { defineClaim } from '../types.js';
import { num } from './format.js';

/** Parameters are float32: one buffer per parameter is 4 bytes per parameter. */
const BYTES_PER_BUFFER = 4;

function lectureColumn(buffers: number | null): string {
  if (buffers === null) return '—';
  return buffers === 0 ? 'O(1)' : `${buffers} buffer${buffers > 1 ? 's' : ''}`;
}

export const memory = defineClaim<null, never, never>({
  id: 'memory',
  number: 7,
  title: "The lecture's memory column",
  statement: 'Optimizer state per parameter: SGD and SGD with momentum need O(1) extra memory, Adagrad and RMSProp one buffer, Adadelta and Adam two.',
  literature: ["PyTorch's optimizer state (torch/optim/*.py)", 'Nocedal (1980), Updating quasi-Newton matrices with limited storage (L-BFGS: 2m vectors)'],
  requires: { all: [], oneOf: [['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw']] },
  budgets: { quick: null, default: null, full: null },
  shared: ['table'],
  seeded: false,
  trials: () => [],
  runTrial: () => {
    throw new Error('memory has no trials of its own');
  },
  conclude(_done, plan) {
    const rows = plan.shared.table!.rows;
    const mismatches: string[] = [];
    const lines = rows.map((row) => {
      const entry = raceEntry(row.optimizer);
      const buffers = row.stateBytesPerParam / BYTES_PER_BUFFER;
      const agrees = entry.lectureBuffers === null ? null : Math.abs(buffers - entry.lectureBuffers) < 0.01;
      if (agrees === false) mismatches.push(`${entry.label} keeps ${num(buffers)} buffer(s) (${num(row.stateBytesPerParam)} B/param), the lecture says ${lectureColumn(entry.lectureBuffers)}`);
      const label = row.task === 'mnist' ? row.label : `${row.label} (${row.task} task)`;
      return [label, lectureColumn(entry.lectureBuffers), num(row.stateBytesPerParam), num(buffers), row.stateDictBytesPerParam === null ? 'n/m' : num(row.stateDictBytesPerParam), row.declaredStateBytesPerParam === null ? 'n/m' : num(row.declaredStateBytesPerParam), agrees === null ? '—' : agrees ? 'yes' : 'no'];
    });
    const holds = mismatches.length === 0;
    const lbfgs = rows.find((r) => r.optimizer === 'lbfgs');
    const lbfgsNote = lbfgs ? ` L-BFGS keeps ${num(lbfgs.stateBytesPerParam)} B/param between steps; its state dict holds ${num(lbfgs.stateDictBytesPerParam)} B/param.` : '';
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: 'holds when every optimizer the lecture\'s column lists keeps exactly the number of float32 buffers it says (O(1) = none); deterministic, no seeds',
      method: `After each optimizer trained the table task (SparseAdam: the sparse task), every typed array reachable from the optimizer object (its per-parameter state, a wrapper's copies, L-BFGS's history and work vectors), excluding the parameters and their gradients, is summed and divided by the number of parameters: what persists between steps. The state dict column counts the tensors of \`stateDict()\` (what a checkpoint saves). One float32 buffer per parameter is 4 bytes; "declared" is what the registry's spec says for that configuration and the task's parameter shapes (Adafactor's factored state depends on them); n/m = not measured.`,
      summary: (holds ? `Every optimizer the lecture lists keeps the memory it says (${rows.length} measured).` : `${mismatches.join('; ')}.`) + lbfgsNote,
      interpretation: holds
        ? 'The measured state matches the lecture\'s column.'
        : "The lecture's O(1) for SGD with momentum counts no buffer, but heavy-ball momentum keeps a velocity per parameter: one float32 buffer, as PyTorch's momentum_buffer. Memory is measured from the live objects, so it is exact and the same for every seed.",
      values: {
        bytesPerParam: Object.fromEntries(rows.map((r) => [r.optimizer, r.stateBytesPerParam])),
        stateDictBytesPerParam: Object.fromEntries(rows.map((r) => [r.optimizer, r.stateDictBytesPerParam])),
        mismatches,
      },
      table: { headers: ['optimizer', 'lecture', 'persists B/param', 'buffers', 'state dict B/param', 'declared B/param', 'lecture agrees'], rows: lines },
      figures: [
        {
          kind: 'bar',
          name: 'claim-7-memory',
          title: 'Optimizer state, measured after training (bytes per float32 parameter)',
          categories: rows.map((r) => r.optimizer),
          yLabel: 'bytes / parameter',
          series: [
            { label: 'persists between steps', color: 'variant-1', values: rows.map((r) => r.stateBytesPerParam) },
            { label: 'in the state dict', color: 'variant-2', values: rows.map((r) => r.stateDictBytesPerParam ?? Number.NaN) },
          ],
        },
      ],
    };
  },
});

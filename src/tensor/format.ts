/**
 * How a tensor prints (PyTorch's `torch._tensor_str`): every value in one shared format, fixed
 * with 4 decimals, or scientific when the magnitudes span more than 1000× (or leave
 * [1e-4, 1e8)), or as integers with a trailing '.' when every value is whole; right-aligned to
 * one width; rows wrapped at 80 columns; and, past 1000 values, each long dim summarized by its
 * first and last three entries around '...'.
 */
import type { Tensor } from './tensor.js';

const EDGE_ITEMS = 3;
const SUMMARIZE_ABOVE = 1000;
const LINE_WIDTH = 80;
const PREFIX = 'tensor(';

function formatter(values: ArrayLike<number>): (v: number) => string {
  let minAbs = Infinity;
  let maxAbs = 0;
  let whole = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const a = Math.abs(v);
    if (a !== 0) minAbs = Math.min(minAbs, a);
    maxAbs = Math.max(maxAbs, a);
    if (!Number.isInteger(v)) whole = false;
  }
  const special = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (whole && maxAbs < 1e8) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  const scientific = maxAbs >= 1e8 || (minAbs !== Infinity && (minAbs < 1e-4 || maxAbs / minAbs > 1000));
  return scientific
    ? (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2')
    : (v) => special(v) ?? v.toFixed(4);
}

/** The indices shown along a dim of `size`: all, or the first and last EDGE_ITEMS with a gap (−1). */
function shown(size: number, summarize: boolean): number[] {
  if (!summarize || size <= 2 * EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => size - EDGE_ITEMS + i)];
}

export function formatTensor(t: Tensor): string {
  const suffix = [
    t.dtype === 'float64' ? 'dtype=float64' : '',
    t.node !== null && t.node !== undefined ? `gradFn=<${t.node.op}>` : t.requiresGrad ? 'requiresGrad=true' : '',
  ].filter((s) => s !== '');
  const tail = suffix.length > 0 ? `, ${suffix.join(', ')}` : '';
  if (t.data.length === 0) return `${PREFIX}[], size=[${t.shape.join(', ')}]${tail})`;
  const summarize = t.data.length > SUMMARIZE_ABOVE;
  const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // Format only what is shown, so a summarized tensor's hidden values do not widen the columns.
  const visible: number[] = [];
  const collect = (dim: number, offset: number): void => {
    if (dim === t.shape.length) return void visible.push(t.data[offset]!);
    for (const i of shown(t.shape[dim]!, summarize)) if (i >= 0) collect(dim + 1, offset + i * strides[dim]!);
  };
  collect(0, 0);
  const format = formatter(visible);
  const width = Math.max(...visible.map((v) => format(v).length));
  const cell = (v: number): string => format(v).padStart(width);
  if (t.shape.length === 0) return `${PREFIX}${format(t.data[0]!)}${tail})`;

  const render = (dim: number, offset: number, indent: number): string => {
    const items = shown(t.shape[dim]!, summarize);
    if (dim === t.shape.length - 1) {
      const cells = items.map((i) => (i < 0 ? '...' : cell(t.data[offset + i]!)));
      const lines: string[] = [];
      let line = '';
      for (const c of cells) {
        const next = line === '' ? c : `${line}, ${c}`;
        if (line !== '' && indent + next.length + 2 > LINE_WIDTH) {
          lines.push(`${line},`);
          line = c;
        } else line = next;
      }
      lines.push(line);
      return `[${lines.join(`\n${' '.repeat(indent + 1)}`)}]`;
    }
    const gap = `,${'\n'.repeat(Math.max(1, t.shape.length - dim - 1))}${' '.repeat(indent + 1)}`;
    return `[${items.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * strides[dim]!, indent + 1))).join(gap)}]`;
  };
  return `${PREFIX}${render(0, 0, PREFIX.length)}${tail})`;
}

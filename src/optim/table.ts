/**
 * The README's list of optimizers, rendered from the registry so that the list cannot drift
 * from the code: `npx tsx scripts/optimizer-table.ts` prints it, and a test checks that the
 * README holds exactly this text.
 */
import { optimizerSpecs, wrapperSpecs, type OptionSpec } from './registry.js';

function formatDefault(option: OptionSpec): string {
  const value = option.default;
  if (value === undefined) return `${option.name} (required)`;
  if (Array.isArray(value)) return `${option.name} [${value.map((v) => (typeof v === 'number' ? formatNumber(v) : String(v))).join(', ')}]`;
  return `${option.name} ${typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? formatNumber(value) : String(value)}`;
}

function formatNumber(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}

function formatAuthors(authors: string): string {
  const names = authors.split(', ');
  return names.length > 3 ? `${names[0]} et al.` : authors;
}

export function optimizerTable(): string {
  const rows = [
    '| optimizer | PyTorch | options and defaults | state bytes / param (at the defaults) | paper |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const spec of optimizerSpecs) {
    const options = spec.options.map(formatDefault).join(', ');
    rows.push(`| \`${spec.displayName}\` | ${spec.torchName ?? '—'} | ${options} | ${spec.stateBytesNote ?? spec.stateBytesPerParam(spec.defaults as never)} | ${formatAuthors(spec.paper.authors)} ${spec.paper.year} |`);
  }
  for (const spec of wrapperSpecs) {
    const options = spec.options.map(formatDefault).join(', ');
    rows.push(`| \`${spec.displayName}\` (wraps any optimizer) | — | ${options} | inner + ${spec.extraBytesPerParam} | ${formatAuthors(spec.paper.authors)} ${spec.paper.year} |`);
  }
  return rows.join('\n');
}

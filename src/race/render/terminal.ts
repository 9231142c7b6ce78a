/** Plain-text tables for the terminal, aligned by display width. */

export type Align = 'left' | 'right';

/** A table with a header rule; numbers-looking columns are right-aligned unless told. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly Align[]): string {
  const widths = headers.map((h, c) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[c] ?? ''))));
  const alignment = align ?? headers.map((_, c) => (rows.every((r) => /^[-+−]?[\d.,]+(e[-+]?\d+)?\s*[%×a-zA-Zµ/]*$|^—$|^–$/.test(r[c] ?? '')) ? 'right' : 'left'));
  const pad = (text: string, c: number): string => {
    const gap = ' '.repeat(widths[c]! - displayWidth(text));
    return alignment[c] === 'right' ? gap + text : text + gap;
  };
  const line = (cells: readonly string[]): string => cells.map((cell, c) => pad(cell, c)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Columns a string takes in a terminal (combining marks take none). */
function displayWidth(text: string): number {
  return [...text.normalize('NFC')].filter((ch) => !/\p{M}/u.test(ch)).length;
}

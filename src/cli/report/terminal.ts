/**
 * Plain-text output: aligned tables for the terminal and a progress reporter that draws a
 * bar on a TTY and prints one line per finished stage elsewhere (CI logs, pipes).
 */

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

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Reports a long run's stages: a redrawn bar on a TTY, one plain line per stage otherwise. */
export class Progress {
  private done = 0;
  private total = 0;
  private label = '';
  private readonly started = Date.now();

  constructor(
    private readonly sink: ProgressSink | null,
    private readonly quiet = false,
  ) {}

  /** Announces how many units of work the run has. */
  begin(total: number): void {
    this.total = total;
    this.done = 0;
  }

  /** Marks the start of a stage: the bar shows its label while it runs. */
  stage(label: string): void {
    this.label = label;
    if (this.sink?.isTTY && !this.quiet) this.draw();
  }

  /** Marks `units` of work done, with a short note of what finished. */
  advance(units: number, note: string): void {
    this.done = Math.min(this.total, this.done + units);
    if (this.sink === null || this.quiet) return;
    if (this.sink.isTTY) this.draw();
    else this.sink.write(`[${String(Math.round((100 * this.done) / Math.max(1, this.total))).padStart(3)}%] ${note} (${this.elapsed()})\n`);
  }

  /** Clears the bar so that the next output starts on a clean line. */
  finish(): void {
    if (this.sink?.isTTY && !this.quiet) this.sink.write('\r\x1b[2K');
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }

  private draw(): void {
    const width = 28;
    const fraction = this.total > 0 ? this.done / this.total : 0;
    const filled = Math.round(fraction * width);
    const text = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${this.elapsed()}  ${this.label}`;
    // A pseudo-terminal may report 0 columns: fall back to a common width.
    const columns = this.sink!.columns && this.sink!.columns > 0 ? this.sink!.columns : 100;
    this.sink!.write(`\r\x1b[2K${text.slice(0, Math.max(20, columns - 1))}`);
  }
}

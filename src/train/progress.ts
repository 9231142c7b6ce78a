/**
 * Training progress on a terminal: one bar redrawn in place with `\r` on a TTY, plain lines
 * (one per epoch) in logs and CI, or nothing.
 */

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** Where progress goes: process.stderr, or anything with `write` (tests). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Four significant digits, exponent form for very small or large magnitudes. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(2);
  return value.toPrecision(4);
}

function formatValues(values: Readonly<Record<string, number>>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} ${formatValue(value)}`)
    .join('  ');
}

const BAR_WIDTH = 24;
/** Redraw the bar at most this often (ms): a redraw per batch would cost more than small batches. */
const REDRAW_INTERVAL = 100;

export class Progress {
  readonly mode: 'bar' | 'lines' | 'none';
  private readonly stream: ProgressStream;
  private readonly totalEpochs: number;
  private epoch = 0;
  private batches: number | undefined;
  private lastDraw = 0;
  private lineLength = 0;

  constructor(mode: ProgressMode, stream: ProgressStream, totalEpochs: number) {
    this.mode = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
    this.stream = stream;
    this.totalEpochs = totalEpochs;
  }

  epochStart(epoch: number, batches: number | undefined): void {
    this.epoch = epoch;
    this.batches = batches;
    this.lastDraw = 0;
  }

  batch(done: number, values: Readonly<Record<string, number>>): void {
    if (this.mode !== 'bar') return;
    const now = Date.now();
    if (done !== this.batches && now - this.lastDraw < REDRAW_INTERVAL) return;
    this.lastDraw = now;
    let bar: string;
    if (this.batches !== undefined && this.batches > 0) {
      const filled = Math.round((BAR_WIDTH * Math.min(done, this.batches)) / this.batches);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${this.batches}`;
    } else {
      bar = `${done} batches`;
    }
    this.draw(`epoch ${this.epoch}/${this.totalEpochs} ${bar}  ${formatValues(values)}`);
  }

  epochEnd(values: Readonly<Record<string, number>>, lr: readonly number[], seconds: number): void {
    if (this.mode === 'none') return;
    const lrText = lr.length === 1 ? formatValue(lr[0]!) : `[${lr.map(formatValue).join(', ')}]`;
    const line = `epoch ${this.epoch}/${this.totalEpochs}  ${formatValues(values)}  lr ${lrText}  ${seconds.toFixed(1)}s`;
    if (this.mode === 'bar') this.clear();
    this.stream.write(line + '\n');
  }

  message(text: string): void {
    if (this.mode === 'none') return;
    if (this.mode === 'bar') this.clear();
    this.stream.write(text + '\n');
  }

  private draw(text: string): void {
    const padding = Math.max(0, this.lineLength - text.length);
    this.stream.write('\r' + text + ' '.repeat(padding));
    this.lineLength = text.length;
  }

  private clear(): void {
    if (this.lineLength > 0) this.stream.write('\r' + ' '.repeat(this.lineLength) + '\r');
    this.lineLength = 0;
  }
}

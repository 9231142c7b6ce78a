/**
 * Reports a race while it runs: a redrawn bar of trials on a TTY, and one plain line per
 * concluded shared run or claim everywhere (CI logs, pipes).
 */

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private readonly started = Date.now();
  private bar = false;

  constructor(
    private readonly sink: ProgressSink | null,
    private readonly quiet = false,
  ) {}

  /** `done` trials finished of `queued` handed out so far (follow-up rounds add more). */
  trials(done: number, queued: number, experiment: string): void {
    if (!this.sink?.isTTY || this.quiet) return;
    const width = 24;
    const filled = Math.round((done / Math.max(1, queued)) * width);
    const text = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${queued} trials  ${this.elapsed()}  ${experiment}`;
    // A pseudo-terminal may report 0 columns: fall back to a common width.
    const columns = this.sink.columns && this.sink.columns > 0 ? this.sink.columns : 100;
    this.sink.write(`\r\x1b[2K${text.slice(0, Math.max(20, columns - 1))}`);
    this.bar = true;
  }

  /** One line: what finished. */
  note(text: string): void {
    if (this.sink === null || this.quiet) return;
    this.clear();
    this.sink.write(`[${this.elapsed()}] ${text}\n`);
  }

  /** Clears the bar so that the next output starts on a clean line. */
  finish(): void {
    this.clear();
  }

  private clear(): void {
    if (this.bar && this.sink) this.sink.write('\r\x1b[2K');
    this.bar = false;
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }
}

/**
 * `descent race`: the flags, the output directory, the worker pool and the files. Everything
 * the race computes lives in src/race; this file only checks input, runs it and writes.
 *
 * Every check happens before any work: a bad --out, --seed, --seeds, --workers or
 * --optimizers is one line on stderr and exit status 2, with nothing written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planRace, runRace, renderFigures, renderHtml, terminalSummary, RaceInputError, type Budget, type RaceEvent, type RaceResults } from '../../race/index.js';
import { UsageError } from '../errors.js';
import { nodeDatasets, threadCpuClock, workerPool } from '../race-env.js';
import type { Progress } from '../progress.js';

export interface RaceFlags {
  readonly quick?: boolean;
  readonly full?: boolean;
  readonly seed: string;
  readonly seeds?: string;
  readonly workers?: string;
  readonly optimizers?: string;
  readonly claims?: string;
  readonly out: string;
  readonly json?: boolean;
}

/** A whole number within [min, max], or a usage error naming the flag. */
export function parseCount(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

const list = (text: string | undefined): string[] | undefined => (text === undefined ? undefined : text.split(','));

/** Figures and files a race writes, so a rerun in the same directory can remove stale ones. */
const WRITTEN = /^(claim-.*|surface-.*|table-.*)\.svg$|^report\.html$|^results\.json$/;

/**
 * Checks that `out` can receive the report, without creating anything: an existing path must
 * be a directory we can write in; a missing one needs its nearest existing ancestor to be a
 * writable directory. Only metadata is read (no file is opened), so a FIFO or a special
 * filesystem cannot make it hang; the write probe is a directory created and removed at once.
 */
export function checkOutDir(out: string): void {
  if (out.trim() === '') throw new UsageError('--out is empty; name a directory for the report');
  let existing = path.resolve(out);
  for (;;) {
    let stats: fs.Stats | null = null;
    try {
      stats = fs.statSync(existing);
    } catch {
      stats = null;
    }
    if (stats !== null) {
      if (!stats.isDirectory()) {
        throw new UsageError(existing === path.resolve(out) ? `--out ${out} is an existing file, not a directory` : `--out ${out}: ${existing} is not a directory`);
      }
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing) throw new UsageError(`--out ${out}: no existing directory above it`);
    existing = parent;
  }
  try {
    fs.rmdirSync(fs.mkdtempSync(path.join(existing, '.descent-race-probe-')));
  } catch (error) {
    throw new UsageError(`--out ${out}: cannot write in ${existing} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Writes the report, figures and (with --json) results.json, removing what an earlier run left that this one did not write. */
export function writeRaceOutput(results: RaceResults, outDir: string, json: boolean): string[] {
  const figures = renderFigures(results);
  const files = new Map<string, string>();
  for (const [name, svg] of figures) files.set(`${name}.svg`, svg);
  files.set('report.html', renderHtml(results, figures));
  if (json) files.set('results.json', JSON.stringify(results, jsonNumbers, 2) + '\n');
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of fs.readdirSync(outDir)) if (WRITTEN.test(name) && !files.has(name)) fs.rmSync(path.join(outDir, name), { force: true });
  const written: string[] = [];
  for (const [name, text] of files) {
    const file = path.join(outDir, name);
    // Written beside, then renamed: a reader never sees half a file.
    fs.writeFileSync(`${file}.partial`, text);
    fs.renameSync(`${file}.partial`, file);
    written.push(file);
  }
  return written;
}

/** JSON has no Infinity or NaN: write them as strings so results.json stays valid JSON. */
function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * Progress lines: one per shared run and claim concluded, with its trial seconds (summed over
 * workers: what it costs); the bar counts trials on a TTY.
 */
function progressSink(progress: Progress): (event: RaceEvent) => void {
  return (event) => {
    if (event.kind === 'trial') progress.trials(event.done, event.queued, event.experiment);
    else if (event.kind === 'shared') progress.note(`${event.id}: ${event.trials} runs, ${event.trialSeconds.toFixed(1)} s in trials`);
    else progress.note(`claim ${event.claim.number}: ${event.claim.title} — ${event.claim.verdict} (${event.claim.trials} trials, ${event.claim.trialSeconds.toFixed(1)} s)`);
  };
}

export async function raceCommand(flags: RaceFlags, progress: Progress, version: string, stdout: { write(text: string): unknown }): Promise<void> {
  if (flags.quick && flags.full) throw new UsageError('--quick and --full cannot be combined; choose one budget');
  const budget: Budget = flags.quick ? 'quick' : flags.full ? 'full' : 'default';
  const seed = parseCount(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER - 1000);
  const seeds = flags.seeds === undefined ? undefined : parseCount(flags.seeds, '--seeds', 1, 1000);
  const workers = flags.workers === undefined ? os.availableParallelism() : parseCount(flags.workers, '--workers', 1, 256);
  const options = { budget, seed, seeds, optimizers: list(flags.optimizers), claims: list(flags.claims) };
  try {
    planRace(options);
  } catch (error) {
    if (error instanceof RaceInputError) throw new UsageError(`--${error.option}: ${error.message}`);
    throw error;
  }
  checkOutDir(flags.out);
  const runner = workers > 1 ? workerPool(workers) : undefined;
  try {
    const cpuSeconds = threadCpuClock();
    const results = await runRace(options, { datasets: nodeDatasets(), now: () => performance.now(), ...(cpuSeconds ? { cpuSeconds } : {}), version, progress: progressSink(progress), runner });
    progress.finish();
    writeRaceOutput(results, flags.out, flags.json ?? false);
    stdout.write(terminalSummary(results, flags.out) + '\n');
  } finally {
    await runner?.close?.();
  }
}

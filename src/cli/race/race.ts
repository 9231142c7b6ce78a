/**
 * `descent race`: every optimizer on the surfaces and the table task, then the twelve claims,
 * then the report. Same seed and budget, same numbers (timings aside).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHtml } from '../report/html.js';
import type { Progress } from '../report/terminal.js';
import { BUDGETS } from './budget.js';
import { RaceContext } from './context.js';
import { selectEntries, UsageError } from './entries.js';
import { runSurfaceStage, runTableStage, tableRows } from './stages.js';
import type { Budget, ClaimResult, RaceResults } from './results.js';
import { saddleClaim, localMinimaClaim } from './claims/surfaces.js';
import { vanishingGradientClaim, sparseFeaturesClaim, driftClaim, biasCorrectionClaim } from './claims/gradients.js';
import { memoryClaim } from './claims/memory.js';
import { scheduleClaim, weightDecayClaim, largeBatchClaim, sensitivityClaim, samClaim } from './claims/generalization.js';
import { surfaces } from '../../surfaces/index.js';

export interface RaceOptions {
  readonly budget: Budget;
  readonly seed: number;
  /** Comma-separated entry ids; all when absent. */
  readonly optimizers?: string;
  readonly progress: Progress;
}

export interface RaceOutput {
  readonly results: RaceResults;
  /** Chart file name → SVG text. */
  readonly charts: ReadonlyMap<string, string>;
}

/** In the lecture's order; claim 7 reads SparseAdam's row, which claim 4 measures. */
const CLAIM_RUNNERS: ReadonlyArray<(context: RaceContext) => ClaimResult> = [
  saddleClaim,
  localMinimaClaim,
  vanishingGradientClaim,
  sparseFeaturesClaim,
  driftClaim,
  biasCorrectionClaim,
  memoryClaim,
  scheduleClaim,
  weightDecayClaim,
  largeBatchClaim,
  sensitivityClaim,
  samClaim,
];

export function runRace(options: RaceOptions): RaceOutput {
  const started = performance.now();
  if (!Object.hasOwn(BUDGETS, options.budget)) throw new UsageError(`unknown race budget ${JSON.stringify(options.budget)}; valid: ${Object.keys(BUDGETS).join(', ')}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new UsageError(`race seed must be a non-negative integer, got ${options.seed}`);
  const budget = BUDGETS[options.budget];
  const entries = selectEntries(options.optimizers);
  const context = new RaceContext(budget, options.seed, entries, options.progress);
  const dense = entries.filter((e) => e.gradients !== 'sparse').length;
  options.progress.begin(surfaces.length + dense + CLAIM_RUNNERS.length);

  const surfaceResults = context.timed('surfaces', () => runSurfaceStage(context));
  context.timed('table task', () => runTableStage(context));
  const claims = CLAIM_RUNNERS.map((run, k) => {
    options.progress.stage(`claim ${k + 1}`);
    const result = context.timed(`claim ${k + 1}`, () => run(context));
    options.progress.advance(1, `claim ${result.id}: ${result.title} — ${result.verdict}`);
    return result;
  });
  const { rows, msPerStep } = tableRows(context);
  options.progress.finish();

  const factors = (list: readonly number[]) => list.map((f) => String(Number(f.toPrecision(3)))).join(', ');
  const results: RaceResults = {
    descent: packageVersion(),
    seed: options.seed,
    budget: options.budget,
    optimizers: entries.map((e) => e.id),
    fairness: [
      `Same start: on a surface every optimizer starts from the surface's start point; on a network every optimizer starts from the same initial weights (seeded by --seed ${options.seed}).`,
      'Same data order: every run on a dataset draws the same mini-batches in the same order (a seeded shuffle per epoch). Dataset splits are fixed (split seed 0); --seed changes initial weights, batch order and random probes.',
      `Learning rates by sweep: on each surface, each optimizer's lr is the best of its centre × {${factors(budget.surfaceLrFactors)}} by the final value after ${budget.surfaceSteps} steps; on the table task, the best of its centre × {${factors(budget.networkLrFactors)}} by the mean training loss over the last fifth of ${budget.tableSteps} steps, the grid extended by up to two steps beyond an end when the best lies there. The centre is the optimizer's PyTorch default lr; SGD has none, so its centre is 0.1 on networks and 0.01 on surfaces. The MNIST claims reuse the table-task lr unless they sweep their own (claims 4, 5, 10, 11 say how).`,
      'Equal steps: SAM takes two gradients per step; L-BFGS runs one iteration per step with no line search, so one gradient per step like the rest.',
    ],
    tableTask: { description: context.mnist.description + `, batch ${budget.batchSize}, ${budget.tableSteps} steps`, lossTarget: budget.lossTarget, steps: budget.tableSteps },
    table: rows,
    surfaces: surfaceResults,
    claims,
    charts: [...context.charts.keys()],
    timings: {
      totalSeconds: (performance.now() - started) / 1000,
      msPerStep,
      sectionSeconds: { ...context.sectionSeconds },
    },
  };
  return { results, charts: context.charts };
}

/** Writes report.html and every chart into `outDir`, and results.json when asked. */
export function writeRaceOutput(output: RaceOutput, outDir: string, json: boolean): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string): void => {
    const file = path.join(outDir, name);
    fs.writeFileSync(file, text);
    written.push(file);
  };
  for (const [name, svg] of output.charts) write(name, svg);
  write('report.html', renderHtml(output.results, output.charts));
  if (json) write('results.json', JSON.stringify(output.results, jsonNumbers, 2) + '\n');
  return written;
}

/** JSON has no Infinity or NaN: write them as strings so results.json stays valid JSON. */
function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

let version: string | null = null;

/** The version in descent's package.json (found by walking up from this module). */
export function packageVersion(): string {
  if (version !== null) return version;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'descent' && typeof manifest.version === 'string') return (version = manifest.version);
    } catch {
      // no package.json here: keep climbing
    }
    if (path.dirname(dir) === dir) return (version = 'unknown');
  }
}

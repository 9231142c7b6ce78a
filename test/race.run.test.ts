/**
 * The race end to end. `descent race --quick` in-process with two workers: every claim has one
 * of the verdicts with its rule, results.json follows the contract, the report has a table of
 * contents and inlines every figure it writes, and stale figures of an earlier run go. Then:
 * one claim run alone through `descent/race` in this thread; the same numbers whatever the
 * number of workers; a subset of optimizers; and bad input, refused before any work.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nodeDatasets, threadCpuClock, workerPool } from '../src/cli/race-env.js';
import { runRace, raceEntries, CLAIMS, type RaceResults } from '../src/race/index.js';
import { cli } from './helpers/cli.js';
import { adviceFor } from '../src/race/advice.js';

const VERDICTS = ['holds', 'does not hold here', 'inconclusive'];


const env = () => ({ datasets: nodeDatasets(), now: () => performance.now(), version: 'test' });
/** Everything but wall-clock times (JSON-normalized, so NaN compares equal to NaN). */
const withoutTimings = (r: RaceResults) =>
  JSON.parse(JSON.stringify({ ...r, timings: null, claims: r.claims.map((c) => ({ ...c, seconds: 0, trialSeconds: 0 })) }, (key, v: unknown) => (key === 'msPerStep' ? null : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) as unknown;

describe('descent race --quick --workers 2', () => {
  let dir = '';
  let run: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'descent-race-'));
    writeFileSync(join(dir, 'claim-99-from-an-earlier-run.svg'), '<svg/>');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    run = await cli('race', '--quick', '--workers', '2', '--out', dir, '--json');
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const results = (): RaceResults => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RaceResults;

  it('exits 0, prints a line per claim on stderr and the summary on stdout', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/claim 12: SAM/);
    expect(run.stdout).toMatch(/Comparison table/);
    expect(run.stdout).toMatch(/of \d+ claims hold here/);
    // The terminal fits 100 columns.
    for (const line of run.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(100);
  });

  it('writes results.json as the contract says: version, budget, seeds, claims with verdict, rule and seeds', () => {
    const r = results();
    expect(r.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.budget).toBe('quick');
    expect(r.seeds).toEqual([0, 1, 2]);
    expect(r.claims.map((c) => c.id)).toEqual([...CLAIMS].sort((a, b) => a.number - b.number).map((c) => c.id));
    for (const claim of r.claims) {
      expect(VERDICTS, claim.id).toContain(claim.verdict);
      expect(claim.rule.length, claim.id).toBeGreaterThan(20);
      expect(claim.title.length).toBeGreaterThan(5);
      expect(Array.isArray(claim.seeds)).toBe(true);
      if (claim.effect) {
        expect(claim.effect.lo).toBeLessThanOrEqual(claim.effect.mean);
        expect(claim.effect.hi).toBeGreaterThanOrEqual(claim.effect.mean);
        expect(claim.perSeed, `${claim.id} rests on seeds: per-seed values`).toBeDefined();
        for (const values of Object.values(claim.perSeed!)) expect(values).toHaveLength(claim.seeds.length);
      }
    }
  });

  it('measures a table row for every optimizer over the seeds, SparseAdam on its own task', () => {
    const table = results().table!;
    expect(table.rows.map((row) => row.optimizer)).toEqual(raceEntries().map((e) => e.id));
    for (const row of table.rows) {
      expect(row.testAccuracy.values, row.optimizer).toHaveLength(row.failed ? row.testAccuracy.values.length : 3);
      expect(row.stateBytesPerParam).toBeGreaterThanOrEqual(0);
    }
    expect(table.rows.find((r) => r.optimizer === 'sparseadam')!.task).toBe('spam');
    // The lecture's memory column is wrong about momentum: one float32 buffer per parameter.
    expect(table.rows.find((row) => row.optimizer === 'momentum')!.stateBytesPerParam).toBe(4);
  });

  it('writes report.html with a table of contents, every claim with its rule, and every figure inlined', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const r = results();
    expect(html).toMatch(/<nav><ol>/);
    for (const claim of r.claims) {
      expect(html).toContain(`href="#claim-${claim.id}"`);
      expect(html).toMatch(new RegExp(`id="claim-${claim.id}"[\\s\\S]*?class="verdict [a-z]+">${claim.verdict}<[\\s\\S]*?Rule:`));
    }
    expect(html).not.toMatch(/<script|src="http|href="http/);
    // Each claim states its cost; claim 9 ran 3 runs (λ = 0 and one λ per method) on each of 3 seeds.
    expect(html).toMatch(/id="claim-weight-decay"[\s\S]*?Cost: 9 trials, \d+\.\d s of CPU over seeds 0–2\./);
    // "When to use which": every piece of advice has measured evidence with numbers.
    expect(html).toContain('id="when-to-use-which"');
    for (const item of adviceFor(r)) {
      expect(item.evidence.length, item.advice).toBeGreaterThan(0);
      for (const e of item.evidence) expect(e.text, item.advice).toMatch(/\d/);
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.svg'));
    expect(files).toContain('surface-rosenbrock.svg');
    expect(files).toContain('table-loss.svg');
    for (const file of files) {
      const svg = readFileSync(join(dir, file), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(html.includes(svg), `${file} is inlined in report.html`).toBe(true);
    }
  });

  it('gives the same verdicts with base seed 100 as with base seed 0', async () => {
    const pool = workerPool(2);
    try {
      const other = await runRace({ budget: 'quick', seed: 100 }, { ...env(), runner: pool });
      expect(other.seeds).toEqual([100, 101, 102]);
      const verdicts = (r: RaceResults) => Object.fromEntries(r.claims.map((c) => [c.id, c.verdict]));
      expect(verdicts(other)).toEqual(verdicts(results()));
    } finally {
      await pool.close?.();
    }
  }, 300_000);

  it("measures each claim's cost as the CPU time of the worker threads that ran its trials", () => {
    const r = results();
    expect(r.timings.trialClock).toBe('cpu');
    for (const claim of r.claims) {
      expect(r.timings.trialSeconds[claim.id], claim.id).toBe(claim.trialSeconds);
      if (claim.trials > 0) expect(claim.trialSeconds, claim.id).toBeGreaterThan(0);
    }
    expect(run.stderr).toMatch(/claim 9: .* \(\d+ trials, \d+\.\d s\)/);
  });

  it('removes the figures an earlier run left, and only those', () => {
    expect(existsSync(join(dir, 'claim-99-from-an-earlier-run.svg'))).toBe(false);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('descent/race without the CLI', () => {
  it('runs one claim alone in this thread, with its seeds and a verdict from its interval', async () => {
    const r = await runRace({ budget: 'quick', seeds: 2, claims: ['vanishing-gradients'] }, env());
    expect(r.table).toBeNull();
    expect(r.surfaces).toBeNull();
    expect(r.claims).toHaveLength(1);
    const claim = r.claims[0]!;
    expect(claim.seeds).toEqual([0, 1]);
    expect(claim.effect!.n).toBe(2);
    // log₁₀ of the first-to-last gradient ratio through 6 sigmoid layers: around −4.8.
    expect(claim.effect!.mean).toBeLessThan(-3);
    expect(claim.verdict).toBe('holds');
    // Its cost: the trials it ran and the seconds they took, also under the run's timings.
    expect(claim.trials).toBeGreaterThan(0);
    expect(claim.trialSeconds).toBeGreaterThan(0);
    expect(r.timings.trialSeconds['vanishing-gradients']).toBe(claim.trialSeconds);
  }, 120_000);

  it('gives the same numbers with one worker and with two', async () => {
    const options = { budget: 'quick' as const, seeds: 2, claims: ['vanishing-gradients', 'drift'] };
    const inline = await runRace(options, env());
    const pool = workerPool(2);
    try {
      const parallel = await runRace(options, { ...env(), runner: pool });
      expect(parallel.timings.workers).toBe(2);
      expect(withoutTimings(parallel)).toEqual(withoutTimings(inline));
    } finally {
      await pool.close?.();
    }
  }, 240_000);
});

describe("the Node platform's per-thread CPU clock", () => {
  it('counts the time this thread computes, not the time it waits', async () => {
    const clock = threadCpuClock()!;
    expect(clock).toBeDefined();
    const start = clock();
    // Compute until the clock has moved 0.1 s (bounded, for a machine with no CPU to spare).
    const deadline = performance.now() + 20_000;
    let sink = 0;
    while (clock() - start < 0.1 && performance.now() < deadline) for (let k = 0; k < 1e5; k++) sink += Math.sqrt(k);
    expect(sink).toBeGreaterThan(0);
    expect(clock() - start).toBeGreaterThanOrEqual(0.1);
    const beforeWait = clock();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(clock() - beforeWait).toBeLessThan(0.1);
  }, 30_000);
});

describe('descent race --optimizers (a subset)', () => {
  it('runs the claims the subset supports and marks the others "not run", naming what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-race-subset-'));
    try {
      const { code, stdout } = await cli('race', '--quick', '--seeds', '1', '--workers', '1', '--optimizers', 'sgd,adam', '--claims', 'vanishing-gradients,sparse-features,memory', '--out', dir, '--json');
      expect(code).toBe(0);
      const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RaceResults;
      expect(r.optimizers).toEqual(['sgd', 'adam']);
      expect(r.table!.rows.map((row) => row.optimizer)).toEqual(['sgd', 'adam']);
      const verdicts = Object.fromEntries(r.claims.map((c) => [c.id, c.verdict]));
      expect(verdicts['sparse-features']).toBe('not run');
      expect(verdicts['vanishing-gradients']).not.toBe('not run');
      expect(verdicts.memory).not.toBe('not run');
      expect(r.claims.find((c) => c.id === 'sparse-features')!.summary).toMatch(/Needs adagrad/);
      expect(stdout).toMatch(/of 2 claims hold here/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('descent race refuses bad input before any work', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'descent-race-bad-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'x');
  mkdirSync(join(scratch, 'empty'));
  const cases: Array<[string, string[], RegExp]> = [
    ['--out naming an existing file', ['--out', file], /--out .*a-file is an existing file, not a directory/],
    ['--out under a file', ['--out', join(file, 'sub')], /is not a directory/],
    ['--out on a read-only special filesystem', ['--out', '/proc/descent-race'], /--out \/proc\/descent-race: cannot write in \/proc/],
    ['--seeds 0', ['--seeds', '0'], /invalid value "0" for --seeds: expected a whole number from 1 to 1000/],
    ['--seeds that is not a number', ['--seeds', 'many'], /invalid value "many" for --seeds/],
    ['--workers 0', ['--workers', '0'], /invalid value "0" for --workers: expected a whole number from 1/],
    ['--workers 1.5', ['--workers', '1.5'], /invalid value "1.5" for --workers/],
    ['--seed negative', ['--seed', '-1'], /invalid value "-1" for --seed/],
    ['an empty --optimizers', ['--optimizers', ''], /--optimizers: the list is empty; name at least one of: sgd,/],
    ['an --optimizers of commas', ['--optimizers', ',,'], /--optimizers: the list is empty/],
    ['an unknown claim', ['--claims', 'saddle,flatness'], /--claims: unknown claim "flatness"; valid: saddle, local-minima,/],
  ];
  it.each(cases)('%s: one line, exit 2, nothing written', async (_name, flags, message) => {
    const out = flags.includes('--out') ? [] : ['--out', join(scratch, 'empty', 'report')];
    const { code, stdout, stderr } = await cli('race', '--quick', ...out, ...flags);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(join(scratch, 'empty'))).toEqual([]);
    expect(readdirSync(scratch).sort()).toEqual(['a-file', 'empty']);
  });
});

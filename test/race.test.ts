/**
 * `descent race --quick`, run in-process twice with the same seed: the report has the twelve
 * claims with verdicts, a table row per optimizer, its charts and a parsable results.json,
 * and the second run reproduces every number of the first (timings aside). Before that, the
 * pieces the race's numbers rest on: Adam without bias correction, the state-bytes probe,
 * and the contour lines of the report.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Tensor } from '../src/tensor/tensor.js';
import { main } from '../src/cli/main.js';
import { raceEntries, withoutBiasCorrection } from '../src/cli/race/entries.js';
import { stateBytes } from '../src/cli/race/probes.js';
import { sampleGrid, contourLines, logLevels } from '../src/cli/report/contour.js';
import type { RaceResults } from '../src/cli/race/results.js';
import { assertAllclose } from './helpers/allclose.js';

function entry(id: string) {
  const found = raceEntries().find((e) => e.id === id);
  if (!found) throw new Error(`no race entry ${id}`);
  return found;
}

describe('Adam without bias correction', () => {
  it('takes the uncorrected steps m/(√v + ε), worked out for two steps', () => {
    const w = new Tensor(Float64Array.of(1), [1], { requiresGrad: true });
    const adam = withoutBiasCorrection(entry('adam').factory())([w], 0.1);
    const grads = [0.5, -0.2];
    const [beta1, beta2, lr, eps] = [0.9, 0.999, 0.1, 1e-8];
    // m₁ = 0.1·0.5 = 0.05, v₁ = 0.001·0.25 = 2.5e-4, w₁ = 1 − 0.1·0.05/(√2.5e-4 + ε) ≈ 0.68377
    // m₂ = 0.9·0.05 + 0.1·(−0.2) = 0.025, v₂ = 0.999·2.5e-4 + 0.001·0.04 = 2.8975e-4,
    // w₂ = w₁ − 0.1·0.025/(√2.8975e-4 + ε) ≈ w₁ − 0.14687
    let m = 0;
    let v = 0;
    let expected = 1;
    for (const g of grads) {
      w.grad = new Tensor(Float64Array.of(g), [1]);
      adam.step();
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      expected -= (lr * m) / (Math.sqrt(v) + eps);
      assertAllclose(w.data, [expected], { rtol: 1e-12 }, `after gradient ${g}`);
    }
    assertAllclose(w.data, [1 - 0.316228 - 0.146869], { atol: 2e-6 }, 'the worked numbers');
    // The group's lr and ε are Adam's own again between steps.
    expect(adam.paramGroups[0]).toMatchObject({ lr: 0.1, eps: 1e-8 });
  });
});

describe('state bytes per parameter', () => {
  const measure = (id: string): number => {
    const w = new Tensor(new Float32Array(1000).fill(0.5), [10, 100], { requiresGrad: true });
    const optimizer = entry(id).factory()([w], 0.01);
    optimizer.step(() => {
      w.grad = new Tensor(new Float32Array(1000).fill(0.1), [10, 100]);
      return 0;
    });
    return stateBytes(optimizer, [w]) / 1000;
  };
  it('counts no buffer for SGD, one for momentum and Adagrad, two for Adam, three for Lookahead around Adam', () => {
    expect(measure('sgd')).toBe(0);
    expect(measure('momentum')).toBe(4);
    expect(measure('adagrad')).toBe(4);
    expect(measure('adam')).toBe(8);
    expect(measure('lookahead')).toBe(12);
  });

  it('cuts the parameters out of an arena that also holds the state, and counts shared views once', () => {
    // One buffer of 300 floats: the parameter in floats 0–99, state in 100–199, 200–299 unused
    // but held. The optimizer keeps a view of the whole arena and a second view of the state.
    const arena = new ArrayBuffer(300 * 4);
    const param = new Tensor(new Float32Array(arena, 0, 100), [100], { requiresGrad: true });
    const optimizer = { arena: new Float32Array(arena), state: new Map([[param, { exp_avg: new Tensor(new Float32Array(arena, 400, 100), [100]) }]]) };
    expect(stateBytes(optimizer, [param])).toBe((300 - 100) * 4);
  });
});

describe('contour lines', () => {
  it('trace the circle x² + y² = r² for f = x² + y², as closed polylines', () => {
    const grid = sampleGrid((x, y) => x * x + y * y, { min: -2, max: 2 }, { min: -2, max: 2 }, 81, 81);
    for (const level of [0.5, 1, 2.25]) {
      const lines = contourLines(grid, level);
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      const radii: number[] = [];
      for (let k = 0; k < line.length; k += 2) radii.push(Math.hypot(line[k]!, line[k + 1]!));
      // Linear interpolation along a grid edge of length h = 0.05 misses the curve by O(h²/r).
      assertAllclose(radii, radii.map(() => Math.sqrt(level)), { atol: 5e-3 }, `radius of level ${level}`);
      assertAllclose(line.slice(-2), line.slice(0, 2), { atol: 1e-12 }, 'the polyline closes');
    }
  });

  it('spaces levels evenly in log(f − min)', () => {
    const grid = sampleGrid((x, y) => x * x + y * y, { min: -1, max: 1 }, { min: -1, max: 1 }, 21, 21);
    const levels = logLevels(grid, 5);
    const logs = levels.map((l) => Math.log(l));
    const gaps = logs.slice(1).map((v, k) => v - logs[k]!);
    assertAllclose(gaps, gaps.map(() => gaps[0]!), { rtol: 1e-9 }, 'log gaps');
  });
});

describe('descent race --quick', () => {
  const seed = 20251125;
  const dirs: string[] = [];
  const runs: Array<{ code: number; stdout: string; stderr: string; dir: string }> = [];

  beforeAll(async () => {
    for (let k = 0; k < 2; k++) {
      const dir = mkdtempSync(join(tmpdir(), 'descent-race-'));
      dirs.push(dir);
      let stdout = '';
      let stderr = '';
      const code = await main(['race', '--quick', '--seed', String(seed), '--out', dir, '--json'], {
        stdout: { write: (s: string) => (stdout += s), isTTY: false },
        stderr: { write: (s: string) => (stderr += s), isTTY: false },
      });
      runs.push({ code, stdout, stderr, dir });
    }
  }, 240_000);

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const results = (k: number): RaceResults => JSON.parse(readFileSync(join(runs[k]!.dir, 'results.json'), 'utf8')) as RaceResults;

  it('exits 0, prints progress lines on stderr and the summary on stdout', () => {
    const [first] = runs;
    expect(first!.code).toBe(0);
    expect(first!.stderr).toMatch(/^\[\s*\d+%\] surface rosenbrock/m);
    expect(first!.stderr).toMatch(/\[100%\] claim 12/);
    expect(first!.stdout).toMatch(/Comparison table/);
    expect(first!.stdout).toMatch(/of 12 claims hold here/);
  });

  it('writes a results.json with twelve claims, each with a verdict and figures', () => {
    const r = results(0);
    expect(r.seed).toBe(seed);
    expect(r.budget).toBe('quick');
    expect(r.claims.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const claim of r.claims) {
      expect(['holds', 'does not hold here']).toContain(claim.verdict);
      expect(claim.summary.length).toBeGreaterThan(20);
      expect(Object.keys(claim.figures).length).toBeGreaterThan(0);
    }
  });

  it('measures a table row for every optimizer, with the lecture\'s columns', () => {
    const r = results(0);
    expect(r.table.map((row) => row.optimizer)).toEqual(raceEntries().map((e) => e.id));
    for (const row of r.table) {
      expect(row.lr).toBeGreaterThan(0);
      expect(typeof row.momentum).toBe('string');
      expect(typeof row.adaptive).toBe('string');
      expect(row.stateBytesPerParam).toBeGreaterThanOrEqual(0);
      expect(r.timings.msPerStep[row.optimizer]).toBeGreaterThan(0);
    }
    // The lecture's memory column is wrong about momentum: one float32 buffer per parameter.
    expect(r.table.find((row) => row.optimizer === 'momentum')!.stateBytesPerParam).toBe(4);
  });

  it('writes report.html with every claim, the table and inline SVG, and the charts beside it', () => {
    const dir = runs[0]!.dir;
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const r = results(0);
    for (const claim of r.claims) {
      expect(html).toContain(`id="claim-${claim.id}"`);
      expect(html).toMatch(new RegExp(`id="claim-${claim.id}"[\\s\\S]*?class="verdict [a-z]+">${claim.verdict}<`));
    }
    for (const row of r.table) expect(html).toContain(`<td>${row.label.replace(/&/g, '&amp;').replace(/'/g, '&#39;')}</td>`);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    const files = readdirSync(dir).filter((f) => f.endsWith('.svg'));
    expect(files.length).toBe(r.charts.length);
    expect(files).toContain('surface-rosenbrock.svg');
    for (const file of files) {
      const svg = readFileSync(join(dir, file), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(html.includes(svg), `${file} is inlined in report.html`).toBe(true);
    }
  });

  it('gives the same numbers for the same seed (timings aside)', () => {
    const strip = (r: RaceResults) => ({ ...r, timings: null });
    expect(existsSync(join(runs[1]!.dir, 'results.json'))).toBe(true);
    expect(strip(results(1))).toEqual(strip(results(0)));
    for (const file of readdirSync(runs[0]!.dir).filter((f) => f.endsWith('.svg'))) {
      expect(readFileSync(join(runs[1]!.dir, file), 'utf8'), file).toBe(readFileSync(join(runs[0]!.dir, file), 'utf8'));
    }
  });
});

describe('descent race --optimizers (a subset)', () => {
  it('runs the claims the subset can support and marks the others "not run", naming what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-race-subset-'));
    try {
      let stdout = '';
      const code = await main(['race', '--quick', '--optimizers', 'sgd,adam', '--out', dir, '--json'], {
        stdout: { write: (s: string) => (stdout += s), isTTY: false },
        stderr: { write: () => true, isTTY: false },
      });
      expect(code).toBe(0);
      const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RaceResults;
      expect(r.optimizers).toEqual(['sgd', 'adam']);
      expect(r.table.map((row) => row.optimizer)).toEqual(['sgd', 'adam']);
      const verdicts = Object.fromEntries(r.claims.map((c) => [c.id, c.verdict]));
      // Claims 1–3, 6, 7 need only SGD or Adam; 4 needs Adagrad, 5 Adagrad and RMSprop, 8 momentum,
      // 9 AdamW, 10 LAMB or LARS, 11 Lookahead or RAdam, 12 SAM.
      for (const id of [1, 2, 3, 6, 7]) expect(verdicts[id]).not.toBe('not run');
      for (const id of [4, 5, 8, 9, 10, 11, 12]) expect(verdicts[id]).toBe('not run');
      expect(r.claims.find((c) => c.id === 4)!.summary).toMatch(/Needs adagrad/);
      expect(stdout).toMatch(/of 5 claims hold here/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

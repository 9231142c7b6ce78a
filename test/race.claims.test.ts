/**
 * The verdict rules of claims 3 (vanishing gradients) and 7 (memory), fed with numbers on both
 * sides of their thresholds: each `conclude` is a pure function of finished trials, so it can
 * be checked without running an experiment. Then the worker pool, with fake workers.
 */
import { describe, it, expect } from 'vitest';
import { BUDGETS } from '../src/race/budget.js';
import { raceEntries } from '../src/race/entries.js';
import { vanishingGradients } from '../src/race/claims/vanishing-gradients.js';
import { memory } from '../src/race/claims/memory.js';
import type { ClaimPlan, TableOutcome, TableRow } from '../src/race/types.js';
import { workerPool, type TrialPort, type TrialReply } from '../src/race/pool.js';

function plan(settings: unknown, shared: ClaimPlan<unknown>['shared'] = {}, seeds = [0, 1, 2]): ClaimPlan<unknown> {
  const entries = raceEntries();
  return { budget: BUDGETS.quick, seeds, entries, has: (id) => entries.some((e) => e.id === id), settings, shared };
}

describe('claim 3: the first-to-last gradient ratio of the sigmoid network against 10⁻¹', () => {
  const settings = vanishingGradients.budgets.quick;
  /** Finished trials whose sigmoid network has first-to-last ratios 10^logRatios[k]. */
  const done = (logRatios: number[]) =>
    logRatios.flatMap((log, seed) => [
      { spec: { seed, architecture: 'sigmoid', optimizer: null }, result: { perLayer: [10 ** log, 0.1, 1] } },
      { spec: { seed, architecture: 'relu-kaiming', optimizer: null }, result: { perLayer: [1, 1, 1] } },
      { spec: { seed, architecture: 'sigmoid', optimizer: 'sgd' }, result: { perLayer: [1e-4, 1e-2, 0.1] } },
      { spec: { seed, architecture: 'sigmoid', optimizer: 'adam' }, result: { perLayer: [0.1, 0.1, 0.1] } },
    ]);
  it('holds when the whole interval lies below −1', () => {
    const outcome = vanishingGradients.conclude(done([-1.3, -1.2, -1.25]), plan(settings));
    expect(outcome.verdict).toBe('holds');
    expect(outcome.effect!.hi).toBeLessThan(-1);
    expect(outcome.wins).toMatchObject({ count: 3, of: 3 });
    expect(outcome.perSeed!.sigmoidLog10Ratio).toEqual([-1.3, -1.2, -1.25].map((v) => expect.closeTo(v, 12)));
  });
  it('does not hold when the whole interval lies above −1', () => {
    expect(vanishingGradients.conclude(done([-0.8, -0.75, -0.7]), plan(settings)).verdict).toBe('does not hold here');
  });
  it('is inconclusive when the interval straddles −1', () => {
    expect(vanishingGradients.conclude(done([-1.2, -0.8, -1.0]), plan(settings)).verdict).toBe('inconclusive');
  });
});

describe("claim 7: the measured buffers against the lecture's column", () => {
  const row = (optimizer: string, bytes: number): TableRow => {
    const entry = raceEntries().find((e) => e.id === optimizer)!;
    const none = { mean: Number.NaN, sd: Number.NaN, values: [] };
    return { optimizer, label: entry.label, task: 'mnist', lr: 0.1, sweep: [], failed: false, divergedSeeds: 0, momentum: '', adaptive: '', stateBytesPerParam: bytes, stateDictBytesPerParam: bytes, declaredStateBytesPerParam: bytes, trainLoss: none, testLoss: none, testAccuracy: none, stepsToTarget: [], curve: [], msPerStep: null };
  };
  const table = (rows: TableRow[]): TableOutcome => ({ description: '', steps: 1, lossTarget: 1, rows });
  it('holds when every listed optimizer keeps the buffers the lecture says', () => {
    const outcome = memory.conclude([], plan(null, { table: table([row('sgd', 0), row('momentum', 0), row('adagrad', 4), row('adam', 8), row('lamb', 8)]) }));
    expect(outcome.verdict).toBe('holds');
  });
  it('does not hold when one keeps a buffer more than the lecture says, and names it', () => {
    const outcome = memory.conclude([], plan(null, { table: table([row('sgd', 0), row('momentum', 4), row('adam', 8)]) }));
    expect(outcome.verdict).toBe('does not hold here');
    expect(outcome.summary).toMatch(/SGD \+ momentum keeps 1 buffer\(s\) \(4 B\/param\), the lecture says O\(1\)/);
  });
  it('does not hold when one keeps fewer', () => {
    expect(memory.conclude([], plan(null, { table: table([row('adam', 4)]) })).verdict).toBe('does not hold here');
  });
  it("declares state for the task's shapes: Adafactor's factored rows and columns, Muon's split with AdamW", () => {
    // An MLP 784 → 128 → 10: two matrices and two bias vectors.
    const shapes = [[128, 784], [128], [10, 128], [10]];
    const values = 128 * 784 + 128 + 10 * 128 + 10;
    const entry = (id: string) => raceEntries().find((e) => e.id === id)!;
    // Adafactor: R + C per matrix, the whole vector for a bias: far below one buffer.
    expect(entry('adafactor').declaredStateBytes(shapes)).toBeCloseTo((4 * (128 + 784 + 10 + 128 + 128 + 10)) / values, 12);
    // Muon takes the first matrix (one buffer), AdamW the output layer and biases (two).
    expect(entry('muon').declaredStateBytes(shapes)).toBeCloseTo((4 * 128 * 784 + 8 * (128 + 10 * 128 + 10)) / values, 12);
    expect(entry('adam').declaredStateBytes(shapes)).toBe(8);
  });
});

describe('the budgets', () => {
  /**
   * The comparison table's planned training work, in multiply-adds of the MLP's weights: every
   * dense optimizer trains each lr of its grid (plus the two edge extensions at most) on the
   * base seed, then its chosen lr on every other seed.
   */
  const tableWork = (name: 'default' | 'full'): number => {
    const budget = BUDGETS[name];
    const layers = [budget.mnist.side ** 2, ...budget.mnist.hidden, 10];
    const weights = layers.slice(1).reduce((sum, width, k) => sum + width * layers[k]!, 0);
    const runs = raceEntries().filter((e) => e.gradients !== 'sparse').length * (budget.networkLrFactors.length + 2 + budget.seeds - 1);
    return runs * budget.tableSteps * budget.batchSize * weights;
  };
  it("keeps --full's table within the default's, scaled by their time budgets (20 min against 3 min)", () => {
    // At 28 × 28 px with 128 hidden units and 1,500 steps, the ratio was about 47.
    expect(tableWork('full') / tableWork('default')).toBeLessThanOrEqual((20 * 60) / (3 * 60));
  });
});

describe('the worker pool', () => {
  /** A fake worker that answers each task after `delay` ms with the task's spec doubled. */
  const fakePort = (delay: number, log: string[], name: string): TrialPort => {
    let handler: (reply: TrialReply) => void = () => undefined;
    let failed: (error: Error) => void = () => undefined;
    return {
      post: (task) => {
        log.push(name);
        const value = task.spec as number;
        setTimeout(() => (value < 0 ? failed(new Error(`worker ${name} crashed`)) : handler({ ok: true, result: 2 * value, seconds: delay / 1000, clock: 'wall' })), delay);
      },
      onMessage: (h) => (handler = h),
      onFailure: (h) => (failed = h),
      terminate: () => undefined,
    };
  };
  it('hands each worker the next task when it is free, and returns results by task', async () => {
    const log: string[] = [];
    let k = 0;
    const pool = workerPool(2, () => fakePort(k++ === 0 ? 1 : 5, log, `w${k}`));
    const outputs = await Promise.all([1, 2, 3, 4, 5].map((spec) => pool.run({ experiment: 'x', spec })));
    expect(outputs.map((o) => o.result)).toEqual([2, 4, 6, 8, 10]);
    // Each result comes with the seconds its worker spent on it.
    for (const o of outputs) expect([0.001, 0.005]).toContain(o.seconds);
    // The fast worker took more of them.
    expect(log.filter((w) => w === 'w1').length).toBeGreaterThan(log.filter((w) => w === 'w2').length);
    await pool.close?.();
  });
  it('starts a queued trial of higher priority first, in order of arrival within one priority', async () => {
    const posted: number[] = [];
    const pool = workerPool(1, () => {
      const port = fakePort(1, [], 'w');
      return { ...port, post: (task) => (posted.push(task.spec as number), port.post(task)) };
    });
    // 1 starts at once on the idle worker; 2 and 3 queue at priority 0, then 4 and 5 at 1.
    await Promise.all([pool.run({ experiment: 'x', spec: 1 }), pool.run({ experiment: 'x', spec: 2 }), pool.run({ experiment: 'x', spec: 3 }, 0), pool.run({ experiment: 'x', spec: 4 }, 1), pool.run({ experiment: 'x', spec: 5 }, 1)]);
    expect(posted).toEqual([1, 4, 5, 2, 3]);
  });
  it('shares the workers fairly between experiments: a cheap one is not held behind a long queue', async () => {
    const posted: string[] = [];
    // Each trial takes (and reports) its spec in ms: 'table' trials 5 ms, 'claim' trials 1 ms.
    const pool = workerPool(1, () => {
      let handler: (reply: TrialReply) => void = () => undefined;
      return {
        post: (task) => {
          posted.push(`${task.experiment}${posted.length}`);
          setTimeout(() => handler({ ok: true, result: null, seconds: (task.spec as number) / 1000, clock: 'wall' }), task.spec as number);
        },
        onMessage: (h) => (handler = h),
        onFailure: () => undefined,
        terminate: () => undefined,
      };
    });
    const table = [5, 5, 5, 5].map((ms) => pool.run({ experiment: 'table', spec: ms }));
    const claim = [1, 1].map((ms) => pool.run({ experiment: 'claim', spec: ms }));
    await Promise.all([...table, ...claim]);
    // After one table trial (5 ms served) the claim has had none, so both its trials go next
    // (1 ms, then 2 ms < 5 ms); arrival order alone would have run them last.
    expect(posted).toEqual(['table0', 'claim1', 'claim2', 'table3', 'table4', 'table5']);
  });
  it('fails every pending trial when a worker dies, with its error', async () => {
    const pool = workerPool(1, () => fakePort(1, [], 'w'));
    const runs = [pool.run({ experiment: 'x', spec: -1 }), pool.run({ experiment: 'x', spec: 1 })];
    await expect(runs[0]).rejects.toThrow(/worker w crashed/);
    await expect(runs[1]).rejects.toThrow(/worker w crashed/);
    await expect(pool.run({ experiment: 'x', spec: 2 })).rejects.toThrow(/crashed/);
  });
  it('refuses a worker count that is not a positive integer', () => {
    expect(() => workerPool(0, () => fakePort(1, [], 'w'))).toThrow(/positive integer, got 0/);
  });
});

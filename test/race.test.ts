/**
 * The pieces the race's numbers rest on: Adam without bias correction, the state-bytes probe
 * and the contour lines of the report. The race as a whole is in race.run.test.ts, its
 * statistics in race.stats.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { raceEntries, withoutBiasCorrection } from '../src/race/entries.js';
import { stateBytes, stateDictBytes } from '../src/race/probes.js';
import { sampleGrid, contourLines, logLevels } from '../src/race/render/contour.js';
import { logTicks } from '../src/race/render/svg.js';
import { barChart, clippedTop, lineChart } from '../src/race/render/charts.js';
import { seriesStyle } from '../src/race/palette.js';
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

describe('readable axes', () => {
  it('puts at least three ticks on a log axis, whatever its range', () => {
    expect(logTicks(1e-4, 10)).toEqual([1e-4, 1e-3, 0.01, 0.1, 1, 10]);
    expect(logTicks(0.03, 0.8)).toEqual([0.05, 0.1, 0.2, 0.5]);
    const narrow = logTicks(0.31, 0.52);
    expect(narrow.length).toBeGreaterThanOrEqual(3);
    for (const t of narrow) expect(t >= 0.31 && t <= 0.52).toBe(true);
  });

  it('clips a rare spike off a loss chart and says so, and leaves ordinary data alone', () => {
    const curve = Array.from({ length: 200 }, (_, t) => 2 / (1 + t / 20));
    expect(clippedTop(curve, true)).toEqual({ top: 2, clipped: 0 });
    const spiked = [...curve];
    spiked[50] = 1000;
    const { top, clipped } = clippedTop(spiked, true);
    expect(clipped).toBe(1);
    expect(top).toBeLessThan(10);
    const svg = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', logY: true, series: [{ name: 'a', color: '#000000', points: spiked.map((v, t) => [t, v] as [number, number]) }] });
    expect(svg).toContain('1 point above');
  });

  it('turns crowded bar labels by 45° and keeps sparse ones level', () => {
    const values = (n: number) => Array.from({ length: n }, (_, k) => k + 1);
    const names = raceEntries().map((e) => e.id);
    const crowded = barChart({ title: 'memory', categories: names, yLabel: 'B', series: [{ name: 's', color: '#000000', values: values(names.length) }] });
    expect(crowded).toContain('rotate(-45)');
    const sparse = barChart({ title: 'layers', categories: ['W1', 'W2', 'W3'], yLabel: 'B', series: [{ name: 's', color: '#000000', values: values(3) }] });
    expect(sparse).not.toContain('rotate(-45)');
  });

  it('gives every optimizer its own style, and distinct colours to the pairs that share a figure', () => {
    const styles = raceEntries().map((e) => seriesStyle(e.id));
    const keys = styles.map((s) => `${s.color} ${s.dash ?? 'solid'}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [a, b] of [['momentum', 'sam'], ['adam', 'lookahead'], ['adam', 'adamw'], ['sgd', 'adagrad'], ['adagrad', 'rmsprop'], ['lamb', 'adam'], ['lars', 'sgd']]) {
      expect(seriesStyle(a!).color, `${a} and ${b}`).not.toBe(seriesStyle(b!).color);
    }
    expect(() => seriesStyle('#ff0000')).toThrow(/no palette entry/);
  });
});

describe('state dict bytes per parameter', () => {
  const measure = (id: string): number => {
    const w = new Tensor(new Float32Array(1000).fill(0.5), [10, 100], { requiresGrad: true });
    const optimizer = entry(id).factory()([w], 0.01) as unknown as { step(c: () => number): unknown; stateDict(): unknown };
    optimizer.step(() => {
      w.grad = new Tensor(new Float32Array(1000).fill(0.1), [10, 100]);
      return 0;
    });
    return stateDictBytes(optimizer.stateDict()) / 1000;
  };
  it('counts the tensors a checkpoint saves, a wrapper\'s beside its inner optimizer\'s', () => {
    expect(measure('sgd')).toBe(0);
    expect(measure('momentum')).toBe(4);
    expect(measure('adam')).toBe(8);
    // Lookahead around Adam: Adam's m and v, and the slow weights.
    expect(measure('lookahead')).toBe(12);
    // SAM keeps nothing of its own in its dict: the inner SGD's momentum buffer.
    expect(measure('sam')).toBe(4);
  });
});

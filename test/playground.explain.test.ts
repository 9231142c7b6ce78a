/**
 * The explain panel's numbers, checked against what the optimizer actually did: each derived
 * quantity (accumulators, trust ratios, RAdam's switch, SAM's ascent point, Lookahead's slow
 * weights) must reproduce the step the library took, not just look plausible.
 */
import { describe, it, expect } from 'vitest';
import { findContestant, getSurface } from '../playground/src/library.js';
import { Trajectory, type RunSettings } from '../playground/src/simulation.js';
import { explainStep, type Explanation } from '../playground/src/explain.js';
import { assertAllclose } from './helpers/allclose.js';

function run(id: string, steps: number, optimizerOptions: Record<string, unknown> = {}, wrapperOptions: Record<string, unknown> = {}, surface = 'rosenbrock'): Trajectory {
  const s = getSurface(surface);
  const settings: RunSettings = { surface: s, start: s.start, optimizerOptions, wrapperOptions, noise: { sigma: 0, seed: 0 } };
  const trajectory = new Trajectory(findContestant(id)!, settings);
  trajectory.runTo(steps);
  expect(trajectory.steps).toBe(steps);
  return trajectory;
}

const row = (e: Explanation, key: string): readonly [number, number] => {
  const found = e.rows.find((r) => r.key === key);
  if (!found || !Array.isArray(found.value)) throw new Error(`no per-coordinate row ${key}: ${e.rows.map((r) => r.key).join(', ')}`);
  return found.value as readonly [number, number];
};

describe('explain this step', () => {
  it("Adagrad's accumulator is the running sum of g², and it never shrinks", () => {
    const trajectory = run('adagrad', 30);
    const sum = [0, 0];
    let previous = [0, 0];
    for (let t = 1; t <= 30; t++) {
      const e = explainStep(trajectory, t);
      const g = row(e, 'g');
      sum[0] += g[0] ** 2;
      sum[1] += g[1] ** 2;
      const accumulated = row(e, 'sum');
      assertAllclose(accumulated, sum, { rtol: 1e-5 }, `state_sum at t = ${t}`);
      expect(accumulated[0]).toBeGreaterThanOrEqual(previous[0]!);
      previous = [...accumulated];
    }
  });

  it("the effective learning rates reproduce Adam's and RMSprop's steps", () => {
    for (const id of ['adam', 'rmsprop']) {
      const trajectory = run(id, 12);
      const e = explainStep(trajectory, 12);
      const rate = row(e, 'lr_eff');
      const direction = id === 'adam' ? row(e, 'm_hat') : row(e, 'g');
      // θₜ − θₜ₋₁ = −(effective lr) · m̂ₜ (Adam) or · gₜ (RMSprop without momentum)
      assertAllclose(row(e, 'update'), [-rate[0] * direction[0], -rate[1] * direction[1]], { rtol: 1e-4, atol: 1e-7 }, id);
    }
  });

  it("RAdam's rectification is off through step 5 and on from step 6 (β₂ = 0.999, ρₜ > 5)", () => {
    const trajectory = run('radam', 7, { lr: 0.001 });
    const rho = (t: number): number => explainStep(trajectory, t).rows.find((r) => r.key === 'rho_t')!.value as number;
    expect(rho(5)).toBeLessThanOrEqual(5);
    expect(rho(6)).toBeGreaterThan(5);
    expect(explainStep(trajectory, 5).rows.find((r) => r.key === 'rho_t')!.meaning).toMatch(/rectification off/);
    expect(explainStep(trajectory, 6).rows.find((r) => r.key === 'rho_t')!.meaning).toMatch(/adaptive step is on/);
  });

  it("LAMB's per-coordinate trust ratio times its direction is the step it took", () => {
    const trajectory = run('lamb', 5, { lr: 0.02 });
    const e = explainStep(trajectory, 5);
    const [r, u] = [row(e, 'trust'), row(e, 'u')];
    expect(r[0]).not.toBeCloseTo(r[1], 3);
    assertAllclose(row(e, 'update'), [-0.02 * r[0] * u[0], -0.02 * r[1] * u[1]], { rtol: 1e-4, atol: 1e-8 }, 'LAMB Δθ');
  });

  it("LARS's trust ratio scales the first step's gradient", () => {
    const trajectory = run('lars', 1, { lr: 0.5 });
    const e = explainStep(trajectory, 1);
    const [r, g] = [row(e, 'trust'), row(e, 'g')];
    assertAllclose(row(e, 'update'), [-0.5 * r[0] * g[0], -0.5 * r[1] * g[1]], { rtol: 1e-4, atol: 1e-9 }, 'LARS Δθ');
  });

  it("SAM's ghost lies ρ away along the gradient, where the second gradient was taken", () => {
    const trajectory = run('sam', 3, {}, { rho: 0.2 });
    const e = explainStep(trajectory, 3);
    const ghost = e.ghost!;
    const from = e.from;
    expect(Math.hypot(ghost[0] - from[0], ghost[1] - from[1])).toBeCloseTo(0.2, 6);
    const surface = getSurface('rosenbrock');
    assertAllclose(row(e, 'g_ascent'), [...surface.gradient(Math.fround(ghost[0]), Math.fround(ghost[1]))], { rtol: 1e-4 }, 'g(w + e)');
  });

  it("ASAM's ghost scales each coordinate by w², and its second gradient was taken there", () => {
    const trajectory = run('sam', 2, {}, { rho: 0.5, adaptive: true });
    const e = explainStep(trajectory, 2);
    const [w, g, ghost] = [e.from, row(e, 'g'), e.ghost!];
    const norm = Math.hypot(Math.abs(w[0]) * g[0], Math.abs(w[1]) * g[1]);
    assertAllclose(ghost, [w[0] + (0.5 * w[0] ** 2 * g[0]) / norm, w[1] + (0.5 * w[1] ** 2 * g[1]) / norm], { rtol: 1e-12 }, 'ASAM ghost');
    const surface = getSurface('rosenbrock');
    assertAllclose(row(e, 'g_ascent'), [...surface.gradient(Math.fround(ghost[0]), Math.fround(ghost[1]))], { rtol: 1e-4 }, 'g(w + e)');
  });

  it("Lookahead's slow weights move α of the way to the fast ones every k steps", () => {
    const trajectory = run('lookahead', 6, {}, { k: 3, alpha: 0.5 });
    const start = trajectory.settings.start;
    const slow3 = explainStep(trajectory, 3).slow!;
    // after the sync the fast weights restart from the slow ones
    assertAllclose(slow3, explainStep(trajectory, 3).rows.find((r) => r.key === 'theta')!.value as [number, number], { rtol: 1e-6 }, 'fast = slow after a sync');
    expect(explainStep(trajectory, 2).slow).toEqual([Math.fround(start[0]), Math.fround(start[1])]);
    expect(slow3).not.toEqual(explainStep(trajectory, 2).slow);
  });

  it('refuses a step that was not taken', () => {
    expect(() => explainStep(run('adam', 2), 3)).toThrow(/step 3 has not been taken \(2 so far\)/);
  });
});

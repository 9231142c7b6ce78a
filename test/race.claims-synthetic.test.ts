/**
 * Claims 1, 2, 5, 6 and the two new ones (momentum's √κ, diagonal preconditioning): every
 * verdict rule with numbers on both sides of its threshold, and each experiment checked
 * against what theory says it must measure, on budgets small enough for the suite.
 */
import { describe, it, expect } from 'vitest';
import { everyVerdict } from '../src/race/claims/verdicts.js';
import { momentumVerdict, runMomentumTrial, speedupSlope, type MomentumTrialResult } from '../src/race/claims/momentum.js';
import { preconditioningVerdict, rotationPenalty, runPreconditioningTrial } from '../src/race/claims/preconditioning.js';
import { fasterThanSgd, meanLogEscapeRatio, runSaddleTrial, saddleStarts, ESCAPE_HEIGHT } from '../src/race/claims/saddle.js';
import { escapesMoreOften, trappedMoreOften, runLocalMinimaTrial, basinOf, globalShare } from '../src/race/claims/local-minima.js';
import { chosenLr, rmspropTracksBetter, runDrift, type DriftRunResult } from '../src/race/claims/drift.js';
import { biasCorrectionVerdict, logPeak, meanPeakReduction, peakRatio, spikeCounts, spikes, SPIKE } from '../src/race/claims/bias-correction.js';
import { matchedLr } from '../src/race/claims/contestants.js';
import { entryGroupFactory } from '../src/race/claims/lockstep.js';

describe('everyVerdict', () => {
  it('holds only when every part holds, fails when any part fails, and ignores parts not run', () => {
    expect(everyVerdict(['holds', 'holds'])).toBe('holds');
    expect(everyVerdict(['holds', 'inconclusive'])).toBe('inconclusive');
    expect(everyVerdict(['holds', 'inconclusive', 'does not hold here'])).toBe('does not hold here');
    expect(everyVerdict(['holds', 'not run'])).toBe('holds');
    expect(everyVerdict(['not run'])).toBe('not run');
  });
});

describe('claim 13, momentum √κ: the rule', () => {
  it('holds inside ½ ± 0.15, fails wholly outside on either side, and is inconclusive across an edge', () => {
    expect(momentumVerdict({ lo: 0.45, hi: 0.55 })).toBe('holds');
    expect(momentumVerdict({ lo: 0.36, hi: 0.64 })).toBe('holds');
    expect(momentumVerdict({ lo: 0.1, hi: 0.3 })).toBe('does not hold here');
    expect(momentumVerdict({ lo: 0.7, hi: 0.9 })).toBe('does not hold here');
    expect(momentumVerdict({ lo: 0.3, hi: 0.5 })).toBe('inconclusive');
    expect(momentumVerdict({ lo: 0.6, hi: 0.7 })).toBe('inconclusive');
  });

  it('fits the slope of log(speed-up) against log κ', () => {
    const trial = (condition: number, gd: number | null, heavy: number): MomentumTrialResult => ({
      seed: 0,
      condition,
      gd: { steps: gd, lr: 1, momentum: 0 },
      heavyBall: { steps: heavy, lr: 1, momentum: 0.5 },
      fixedMomentum: { steps: 1, lr: 1, momentum: 0.9 },
    });
    // GD ∝ κ and heavy ball ∝ √κ: the speed-up is √κ, slope ½ exactly.
    expect(speedupSlope([10, 100, 1000].map((k) => trial(k, 3 * k, 3 * Math.sqrt(k))))).toBeCloseTo(0.5, 12);
    expect(speedupSlope([10, 100].map((k) => trial(k, 5 * k, 5)))).toBeCloseTo(1, 12);
    expect(speedupSlope([trial(10, null, 3), trial(100, 300, 30)])).toBeNull();
  });
});

describe('claim 13, momentum √κ: the experiment', () => {
  it("finds GD near its best step 2/(L + m) and heavy ball near Polyak's (lr, μ), with a speed-up near √κ", () => {
    const result = runMomentumTrial({ seed: 1, condition: 100, dimension: 12, reduction: 1e-4 });
    // L = 1, m = 1/100: GD's best lr is 2/1.01 ≈ 1.98; Polyak's heavy ball lr = 4/(1 + 0.1)² ≈ 3.31, μ = (9/11)² ≈ 0.669.
    expect(result.gd.lr!).toBeGreaterThan(1.5);
    expect(result.gd.lr!).toBeLessThan(2);
    expect(result.heavyBall.momentum!).toBeGreaterThan(0.5);
    expect(result.heavyBall.momentum!).toBeLessThan(0.85);
    const speedup = result.gd.steps! / result.heavyBall.steps!;
    expect(speedup).toBeGreaterThan(0.5 * Math.sqrt(100));
    expect(speedup).toBeLessThan(2 * Math.sqrt(100));
    // μ = 0.9 contracts by no more than √0.9 per step: at κ = 100 it cannot match the tuned μ.
    expect(result.fixedMomentum.steps!).toBeGreaterThan(result.heavyBall.steps!);
  });
});

describe('claim 14, diagonal preconditioning: the rule', () => {
  const above = Math.log2(1.25);
  it('holds when every method pays more than 1.25× for the turn, and fails when any pays clearly less', () => {
    expect(preconditioningVerdict([{ lo: above + 0.1, hi: 3 }, { lo: above + 0.01, hi: 1 }])).toBe('holds');
    expect(preconditioningVerdict([{ lo: above + 0.1, hi: 3 }, { lo: 0, hi: above - 0.01 }])).toBe('does not hold here');
    expect(preconditioningVerdict([{ lo: above + 0.1, hi: 3 }, { lo: above - 0.1, hi: above + 0.1 }])).toBe('inconclusive');
  });

  it('measures the penalty as log₂(turned / aligned), counting a run that never arrived at the step limit', () => {
    expect(rotationPenalty({ aligned: [{ steps: 100, lr: 1 }], turned: [{ steps: 400, lr: 1 }], maxSteps: 1000 })).toBeCloseTo(2, 12);
    expect(rotationPenalty({ aligned: [{ steps: 250, lr: 1 }], turned: [{ steps: null, lr: null }], maxSteps: 1000 })).toBeCloseTo(2, 12);
    // Two problems: log₂ 4 and log₂ 1 average to 1.
    expect(rotationPenalty({ aligned: [{ steps: 10, lr: 1 }, { steps: 30, lr: 1 }], turned: [{ steps: 40, lr: 1 }, { steps: 30, lr: 1 }], maxSteps: 1000 })).toBeCloseTo(1, 12);
  });
});

describe('claim 14, diagonal preconditioning: the experiment', () => {
  const spec = { seed: 2, condition: 100, dimension: 8, reduction: 1e-4, instances: 1 };
  it('gives rotation-invariant GD the same step count on the aligned and the turned quadratic', () => {
    const sgd = runPreconditioningTrial({ ...spec, optimizer: 'sgd' });
    expect(sgd.aligned[0]!.steps).not.toBeNull();
    // The same problem up to rounding in the rotation: at most one step apart.
    expect(Math.abs(sgd.turned[0]!.steps! - sgd.aligned[0]!.steps!)).toBeLessThanOrEqual(1);
  });

  it('lets Adagrad undo axis-aligned curvature but not the turned one', () => {
    const adagrad = runPreconditioningTrial({ ...spec, optimizer: 'adagrad' });
    const sgd = runPreconditioningTrial({ ...spec, optimizer: 'sgd' });
    expect(adagrad.aligned[0]!.steps!).toBeLessThan(sgd.aligned[0]!.steps! / 4);
    expect(rotationPenalty(adagrad)).toBeGreaterThan(Math.log2(3));
  });
});

describe('claim 1, saddle: rule and experiment', () => {
  it('calls a method faster only when its whole interval lies below ln 0.9', () => {
    expect(fasterThanSgd({ lo: -0.5, hi: -0.2 })).toBe('holds');
    expect(fasterThanSgd({ lo: 0.1, hi: 0.4 })).toBe('does not hold here');
    expect(fasterThanSgd({ lo: -0.2, hi: 0 })).toBe('inconclusive');
    expect(fasterThanSgd({ lo: -0.09, hi: -0.01 })).toBe('does not hold here');
  });

  it('spreads start offsets over 1e-6 … 1e-1, one per slice', () => {
    const offsets = saddleStarts(7, 10).map((y) => Math.log10(Math.abs(y)));
    offsets.forEach((e, k) => {
      expect(e).toBeGreaterThanOrEqual(-6 + 0.5 * k);
      expect(e).toBeLessThan(-6 + 0.5 * (k + 1));
    });
  });

  it("times SGD's escape as the linearized growth (1 + 2η)ᵗ predicts, and Adam's as nearly independent of the offset", () => {
    const settings = { seed: 0, starts: 8, effectiveSteps: [0.05], maxSteps: 2000 };
    const sgd = runSaddleTrial({ ...settings, optimizer: 'sgd' });
    const adam = runSaddleTrial({ ...settings, optimizer: 'adam' });
    sgd.offsets.forEach((y0, k) => {
      // y grows by (1 + 2η) per step while small, slower near |y| = ½ where −y + y³ bends: within 15 %.
      const linear = Math.log(ESCAPE_HEIGHT / Math.abs(y0)) / Math.log(1.1);
      expect(sgd.escapes[0]![k]!).toBeGreaterThan(0.95 * linear);
      expect(sgd.escapes[0]![k]!).toBeLessThan(1.15 * linear + 2);
    });
    const adamTimes = adam.escapes[0]!.map((t) => t!);
    expect(Math.max(...adamTimes) - Math.min(...adamTimes)).toBeLessThan(5);
    expect(meanLogEscapeRatio(adam, sgd, 2000)).toBeLessThan(Math.log(0.5));
  });

  it('matches heavy ball and Nesterov by their terminal step and the rest by lr = η', () => {
    expect(matchedLr('sgd', 0.03)).toBe(0.03);
    expect(matchedLr('adam', 0.03)).toBe(0.03);
    expect(matchedLr('momentum', 0.03)).toBeCloseTo(0.003, 15);
    expect(() => matchedLr('lamb', 0.03)).toThrow(/"lamb" has no matched step/);
    expect(() => matchedLr('sgd', 0)).toThrow(/effective step must be a finite number > 0, got 0/);
  });

  it('refuses to run a wrapper in lockstep', () => {
    expect(() => entryGroupFactory('lookahead')).toThrow(/lookahead wraps another optimizer/);
  });
});

describe('claim 2, local minima: rule and experiment', () => {
  it('counts a difference in global share only beyond 2 points, either way', () => {
    expect(escapesMoreOften({ lo: 0.03, hi: 0.1 })).toBe('holds');
    expect(escapesMoreOften({ lo: -0.05, hi: 0.01 })).toBe('does not hold here');
    expect(escapesMoreOften({ lo: 0, hi: 0.05 })).toBe('inconclusive');
    expect(trappedMoreOften({ lo: -0.1, hi: -0.03 })).toBe(true);
    expect(trappedMoreOften({ lo: -0.1, hi: -0.01 })).toBe(false);
  });

  it('classifies end points by the nearest minimum', () => {
    expect(basinOf(-1.45, 0.1)).toBe('global');
    expect(basinOf(1.1, -0.1)).toBe('local');
    expect(basinOf(0, 0)).toBe('unsettled');
    expect(basinOf(Number.NaN, 0)).toBe('diverged');
    expect(globalShare([['global', 'local'], ['global', 'diverged']])).toEqual({ global: 2, runs: 4 });
  });

  it('leaves small-step SGD in the first minimum it meets, and lets heavy ball over the hump more often at η = 0.1', () => {
    const settings = { seed: 0, starts: 40, effectiveSteps: [0.01, 0.1], steps: 800 };
    const sgd = runLocalMinimaTrial({ ...settings, optimizer: 'sgd' });
    const heavy = runLocalMinimaTrial({ ...settings, optimizer: 'momentum' });
    expect(sgd.basins[0]!.every((b) => b === 'local')).toBe(true);
    expect(globalShare([heavy.basins[1]!]).global).toBeGreaterThan(globalShare([sgd.basins[1]!]).global);
  });
});

describe('claim 5, drift: rule and experiment', () => {
  it('holds when RMSProp tracks better beyond doubt, fails the other way, and is inconclusive in between', () => {
    expect(rmspropTracksBetter({ lo: 0.1, hi: 0.5 })).toBe('holds');
    expect(rmspropTracksBetter({ lo: -0.4, hi: -0.1 })).toBe('does not hold here');
    expect(rmspropTracksBetter({ lo: -0.1, hi: 0.2 })).toBe('inconclusive');
  });

  it('picks the lr with the lowest loss over the window each protocol tunes on', () => {
    const windows = [
      [{ firstQuarter: 1, whole: 3, lastQuarter: 5 }],
      [{ firstQuarter: 2, whole: 2, lastQuarter: 2 }],
      [{ firstQuarter: Number.NaN, whole: Number.NaN, lastQuarter: Number.NaN }],
    ];
    expect(chosenLr(windows, 0, 'first quarter')).toBe(0);
    expect(chosenLr(windows, 0, 'whole run')).toBe(1);
  });

  it("shrinks Adagrad's effective lr while RMSProp's holds, and cuts every horizon from one run", () => {
    const spec = { seed: 3, dimension: 5, horizons: [200, 800], lrs: [0.1] };
    const [adagrad, rmsprop] = runDrift(spec, [entryGroupFactory('adagrad'), entryGroupFactory('rmsprop')]) as [DriftRunResult, DriftRunResult];
    const ratio = (curve: number[]): number => curve[curve.length - 1]! / curve[5]!;
    expect(ratio(adagrad.effectiveLr[0]!)).toBeLessThan(0.5);
    expect(ratio(rmsprop.effectiveLr[0]!)).toBeGreaterThan(0.5);
    // The first horizon's whole-run window is the longer one's first quarter: the same 200 steps.
    expect(adagrad.windows[0]![0]!.whole).toBe(adagrad.windows[0]![1]!.firstQuarter);
  });
});

describe('claim 6, bias correction: the rule', () => {
  const run = (losses: number[], diverged = false) => ({ losses, diverged });
  it(`calls a run spiked above ${SPIKE}× its first loss, or diverged`, () => {
    expect(spikes(run([2, 2.9, 1]))).toBe(false);
    expect(spikes(run([2, 3.1, 1]))).toBe(true);
    expect(spikes(run([2, 1], true))).toBe(true);
    expect(peakRatio(run([2, 3, 1]))).toBe(1.5);
  });

  it('counts cells where only the uncorrected run spikes, and where only the corrected one does', () => {
    const calm = run([2, 1.5]);
    const spiky = run([2, 5]);
    expect(spikeCounts([{ corrected: calm, uncorrected: spiky }, { corrected: spiky, uncorrected: spiky }, { corrected: spiky, uncorrected: calm }])).toEqual({ prevented: 1, caused: 1 });
  });

  it('averages ln(peak without / peak with) over cells, a diverged run at the divergence bound', () => {
    const calm = run([2, 1.5]);
    // Peaks 2.5× and 1×: ln 2.5 in one cell, 0 in the other.
    expect(meanPeakReduction([{ corrected: calm, uncorrected: run([2, 5]) }, { corrected: calm, uncorrected: calm }])).toBeCloseTo(Math.log(2.5) / 2, 12);
    expect(logPeak(run([2, 3], true))).toBeCloseTo(Math.log(1e6 / 2), 12);
    expect(meanPeakReduction([{ corrected: run([2, 5]), uncorrected: calm }])).toBeCloseTo(-Math.log(2.5), 12);
  });

  it('holds only when the peak reduction is beyond doubt and correction caused nothing', () => {
    expect(biasCorrectionVerdict({ lo: 1, hi: 3 }, [0, 0, 0])).toBe('holds');
    expect(biasCorrectionVerdict({ lo: 1, hi: 3 }, [0, 1, 0])).toBe('inconclusive');
    expect(biasCorrectionVerdict({ lo: 1, hi: 3 }, [1, 1, 1])).toBe('does not hold here');
    expect(biasCorrectionVerdict({ lo: -2, hi: -1 }, [0, 0, 0])).toBe('does not hold here');
    expect(biasCorrectionVerdict({ lo: -1, hi: 2 }, [0, 0, 0])).toBe('inconclusive');
  });
});

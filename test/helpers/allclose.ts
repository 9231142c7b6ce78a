/**
 * Tolerance-explicit comparison: |actual − expected| ≤ atol + rtol·|expected| for every
 * value (NumPy's `allclose`). Returns the worst errors so tests can report what they reached.
 */
export interface Tolerance {
  rtol?: number;
  atol?: number;
}

export interface Closeness {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  worstIndex: number;
}

export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-5, atol = 1e-8 }: Tolerance = {}): Closeness {
  if (actual.length !== expected.length) {
    throw new RangeError(`allclose: lengths differ (${actual.length} vs ${expected.length})`);
  }
  let ok = true;
  let maxAbsError = 0;
  let maxRelError = 0;
  let worstIndex = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    const err = Math.abs(a - e);
    const bound = atol + rtol * Math.abs(e);
    if (!(err <= bound)) ok = false;
    if (err - bound > worstExcess) {
      worstExcess = err - bound;
      worstIndex = i;
    }
    maxAbsError = Math.max(maxAbsError, err);
    if (e !== 0) maxRelError = Math.max(maxRelError, err / Math.abs(e));
  }
  return { ok, maxAbsError, maxRelError, worstIndex };
}

/** Throws with the first offending position when `actual` is not close to `expected`. */
export function assertAllclose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, label = ''): Closeness {
  const c = closeness(actual, expected, tol);
  if (!c.ok) {
    const i = c.worstIndex;
    throw new Error(
      `${label ? label + ': ' : ''}not close at index ${i}: actual ${actual[i]}, expected ${expected[i]} (rtol ${tol.rtol ?? 1e-5}, atol ${tol.atol ?? 1e-8}; max abs error ${c.maxAbsError.toExponential(3)})`,
    );
  }
  return c;
}

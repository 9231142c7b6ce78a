/**
 * The error function and the normal distribution's CDF, which exact GELU needs.
 *
 * JavaScript has no `Math.erf`. Two classical expansions cover the line to about 1e-15:
 *
 *   |x| < 3:  erf(x)  = (2/√π) e^{−x²} Σₙ 2ⁿ x^{2n+1} / (1·3·5···(2n+1))
 *             (every term positive, so no cancellation; ≤ 60 terms at x = 3)
 *   x ≥ 3:    erfc(x) = (e^{−x²}/√π) / (x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
 *             (the Laplace continued fraction; it converges fast away from 0)
 *
 * erfc is computed directly in the tail so that small values keep their relative accuracy,
 * which keeps GELU accurate for very negative inputs.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
/** Below this the series is cheaper; above it the continued fraction is. */
const SERIES_LIMIT = 3;
/** Depth of the continued fraction: at x = 3 the truncation error is below 1e-16. */
const FRACTION_DEPTH = 80;

function erfSeries(a: number): number {
  const twoA2 = 2 * a * a;
  let term = a;
  let total = a;
  for (let n = 0; term > 1e-17 * total; n++) {
    term *= twoA2 / (2 * n + 3);
    total += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-a * a) * total;
}

function erfcFraction(a: number): number {
  let tail = a;
  for (let k = FRACTION_DEPTH; k >= 1; k--) tail = a + k / 2 / tail;
  return (ONE_OVER_SQRT_PI * Math.exp(-a * a)) / tail;
}

/** The error function erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const value = a < SERIES_LIMIT ? erfSeries(a) : 1 - erfcFraction(a);
  return x < 0 ? -value : value;
}

/** The complementary error function 1 − erf(x), accurate in the tail where it is tiny. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  return x < SERIES_LIMIT ? 1 - erfSeries(x) : erfcFraction(x);
}

/** Φ(x), the standard normal CDF: ½ erfc(−x/√2). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

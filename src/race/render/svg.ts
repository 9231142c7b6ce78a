/**
 * The few pieces every chart needs: escaping, compact numbers, scales, ticks and a palette.
 * Charts are strings of SVG so that a report is one self-contained file with no plotting
 * dependency.
 */

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with two decimals and no trailing zeros: small files, sub-pixel accuracy. */
export function px(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** A number for a label: short, with an exponent only where it needs one. */
export function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(1).split('e');
    return `${mantissa!.replace(/\.0$/, '')}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(3)));
}

export interface Scale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly ticks: readonly number[];
  readonly log: boolean;
}

/** Maps [lo, hi] onto [from, to] (to < from for a y axis that grows upwards). */
export function linearScale(lo: number, hi: number, from: number, to: number): Scale {
  const [a, b] = lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  const map = (value: number): number => from + ((value - a) / (b - a)) * (to - from);
  return Object.assign(map, { domain: [a, b] as const, ticks: niceTicks(a, b, 5), log: false });
}

export function logScale(lo: number, hi: number, from: number, to: number): Scale {
  const a = Math.log10(lo);
  const b = Math.log10(hi === lo ? hi * 10 : hi);
  const map = (value: number): number => from + ((Math.log10(value) - a) / (b - a)) * (to - from);
  return Object.assign(map, { domain: [10 ** a, 10 ** b] as const, ticks: logTicks(10 ** a, 10 ** b), log: true });
}

/**
 * Ticks for a log axis, at least three of them: powers of ten when the range spans several
 * decades (every k-th when it spans many), 1-2-5 steps within a decade or two, and round
 * linear steps when the range is narrower than that.
 */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const inside = (t: number) => t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9);
  const powers: number[] = [];
  const stride = Math.max(1, Math.ceil((Math.ceil(b) - Math.floor(a)) / 6));
  for (let e = Math.ceil(a - 1e-9); e <= Math.floor(b + 1e-9); e += stride) powers.push(Number((10 ** e).toPrecision(12)));
  if (powers.length >= 3) return powers;
  const steps: number[] = [];
  for (let e = Math.floor(a); e <= Math.ceil(b); e++) for (const m of [1, 2, 5]) steps.push(Number((m * 10 ** e).toPrecision(12)));
  const oneTwoFive = steps.filter(inside);
  if (oneTwoFive.length >= 3) return oneTwoFive;
  return niceTicks(lo, hi, 6).filter((t) => t > 0 && inside(t));
}

/** Round-valued ticks (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  return ticks;
}

/** Interpolates a light-to-dark blue ramp at t ∈ [0, 1] for contour levels. */
export function rampColor(t: number): string {
  const stops = [
    [8, 48, 107],
    [66, 146, 198],
    [158, 202, 225],
    [222, 235, 247],
  ];
  const clamped = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(clamped), stops.length - 2);
  const f = clamped - i;
  const rgb = stops[i]!.map((c, k) => Math.round(c + (stops[i + 1]![k]! - c) * f));
  return `rgb(${rgb.join(',')})`;
}

/** Wraps chart content in a standalone SVG document. */
export function svgDocument(width: number, height: number, title: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    body,
    '</svg>',
  ].join('\n');
}

/** Keeps at most `limit` points of a long path: evenly spaced, always the first and last. */
export function thin<T>(points: readonly T[], limit: number): T[] {
  if (points.length <= limit) return [...points];
  const out: T[] = [];
  const stride = (points.length - 1) / (limit - 1);
  for (let i = 0; i < limit; i++) out.push(points[Math.round(i * stride)]!);
  return out;
}

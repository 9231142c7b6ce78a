/**
 * JSON that keeps every number: −0, NaN and ±Infinity, which JSON cannot spell, are written as
 * the strings "-0", "NaN", "Infinity", "-Infinity" and read back as numbers, so values written
 * by descent (or by `interop/torch/descent_io.py`, which uses the same rule) round-trip to the bit.
 */

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = { '-0': -0, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function encodeNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'number') return value;
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : value;
  return String(value);
}

function decodeNumber(_key: string, value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(SPECIAL_NUMBERS, value) ? SPECIAL_NUMBERS[value] : value;
}

export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, encodeNumber);
}

/** Throws JSON.parse's SyntaxError on text that is not JSON. */
export function parseExact(text: string): unknown {
  return JSON.parse(text, decodeNumber);
}

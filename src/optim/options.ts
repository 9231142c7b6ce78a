/**
 * Option checking, derived from a spec's options table: each row says what its option accepts,
 * and the messages are PyTorch's (`Invalid learning rate: -1`, `Invalid beta parameter at index
 * 0: 1.5`) with descent's option names. Only an options object's own keys count as options, so
 * `toString` or `constructor` never pass for one.
 */
import type { OptionSpec } from './spec.js';
import { describeValue } from '../util/describe.js';

/** Throws `<Optimizer>: Invalid <what>: <value>` unless `ok`. */
export function requireOption(ok: boolean, optimizer: string, what: string, value: unknown): void {
  if (!ok) throw new RangeError(`${optimizer}: Invalid ${what}: ${formatValue(value)}`);
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** `lr ≥ 0` and finite (PyTorch: `Invalid learning rate: -1`). */
export function checkLearningRate(optimizer: string, lr: unknown): void {
  requireOption(isNumber(lr) && lr >= 0, optimizer, 'learning rate', lr);
}

/** `value ≥ 0` and finite (`Invalid weightDecay value: -0.1`). */
export function checkNonNegative(optimizer: string, option: string, value: unknown): void {
  requireOption(isNumber(value) && value >= 0, optimizer, `${option} value`, value);
}

/** `lo ≤ value ≤ hi` (or `<` at an open end). */
export function checkInRange(optimizer: string, option: string, value: unknown, lo: number, hi: number, { hiOpen = false } = {}): void {
  requireOption(isNumber(value) && value >= lo && (hiOpen ? value < hi : value <= hi), optimizer, `${option} value`, value);
}

/** `betas` is a pair in [0, 1) (`Invalid beta parameter at index 0: 1.5`). */
export function checkBetas(optimizer: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new RangeError(`${optimizer}: Invalid betas value: ${formatValue(betas)} (expected a pair [beta1, beta2])`);
  }
  for (let i = 0; i < 2; i++) {
    const b = betas[i] as unknown;
    requireOption(isNumber(b) && b >= 0 && b < 1, optimizer, `beta parameter at index ${i}`, b);
  }
}

export function checkBoolean(optimizer: string, option: string, value: unknown): void {
  requireOption(typeof value === 'boolean', optimizer, `${option} value`, value);
}

/** A value as an error message shows it (bounded: see describeValue). */
export function formatValue(value: unknown): string {
  return describeValue(value);
}

/** Whether a number lies in the row's valid values. */
function inBounds(row: OptionSpec, x: number): boolean {
  if (!isNumber(x)) return false;
  if (row.integer === true && !Number.isInteger(x)) return false;
  if (row.min !== undefined && (row.exclusiveMin === true ? x <= row.min : x < row.min)) return false;
  if (row.max !== undefined && (row.exclusiveMax === true ? x >= row.max : x > row.max)) return false;
  return true;
}

/** `length` numbers within the row's bounds, or null where `nullableAt` allows. */
function isTuple(row: OptionSpec, value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== row.length) return false;
  return value.every((x: unknown, i) => (x === null ? (row.nullableAt ?? []).includes(i) : inBounds(row, x as number)));
}

/** How an error names a row: `learning rate`, `maxIter value (a positive integer)`. */
function labelOf(row: OptionSpec): string {
  if (row.label !== undefined) return row.label;
  if (row.integer === true && row.min === 1) return `${row.name} value (a positive integer)`;
  if (row.type === 'choice') return `${row.name} value (one of ${(row.choices ?? []).map((c) => formatValue(c)).join(', ')})`;
  if (row.type === 'tuple') return `${row.name} value (a list of ${row.length} numbers${row.nullableAt?.length ? `, null allowed at position ${row.nullableAt.join(', ')}` : ''})`;
  return `${row.name} value`;
}

/** Checks one value against its row; throws naming option and value. */
export function checkOption(optimizer: string, row: OptionSpec, value: unknown): void {
  switch (row.type) {
    case 'boolean':
      return checkBoolean(optimizer, row.name, value);
    case 'betas':
      return checkBetas(optimizer, value);
    case 'choice':
      return requireOption((row.choices ?? []).includes(value), optimizer, labelOf(row), value);
    case 'nullableNumber':
      return requireOption(value === null || inBounds(row, value as number), optimizer, labelOf(row), value);
    case 'number':
      return requireOption(inBounds(row, value as number), optimizer, labelOf(row), value);
    case 'tuple':
      return requireOption(isTuple(row, value), optimizer, labelOf(row), value);
  }
}

/** Checks every option of a complete options object, then the spec's constraint between options. */
export function validateOptions<O>(optimizer: string, rows: readonly OptionSpec[], options: Readonly<O>, constraint?: (options: Readonly<O>) => string | null): void {
  const values = options as Record<string, unknown>;
  for (const row of rows) checkOption(optimizer, row, values[row.name]);
  const problem = constraint?.(options) ?? null;
  if (problem !== null) throw new RangeError(`${optimizer}: ${problem}`);
}

/** Refuses keys that are not own keys of `known` (so `toString`, `constructor` are unknown too). */
export function rejectUnknownOptions(optimizer: string, known: object, options: unknown, where: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${optimizer}: ${where} must be an object`);
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(known, key)) {
      throw new TypeError(`${optimizer}: unknown option '${key}' in ${where} (known: ${Object.keys(known).join(', ')})`);
    }
  }
}

/** An options object without its `undefined` values (they count as absent). */
export function definedEntries<T extends object>(options: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

/** camelCase options here, PyTorch's snake_case in state dicts. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Eager option checks shared by the schedules and the scheduler classes. Every message names
 * where the option was given (`StepLR`, `cosineAnnealing`), the option and the offending value,
 * so a typo in a training script fails at construction, not fifty epochs later. Unknown option
 * names are refused too (`ownOptions`), with the closest known name.
 */
import { describeValue as describe } from '../util/describe.js';

export { describe };
export { ownOptions } from '../util/options.js';

function fail(where: string, name: string, expectation: string, value: unknown): never {
  const kind = value === undefined ? RangeError : typeof value === 'number' || Array.isArray(value) ? RangeError : TypeError;
  throw new kind(`${where}: ${name} must be ${expectation}, got ${describe(value)}`);
}

export function finiteNumber(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(where, name, 'a finite number', value);
  return value;
}

export function positiveNumber(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(where, name, 'a positive finite number', value);
  return value;
}

export function nonNegativeNumber(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(where, name, 'a finite number ≥ 0', value);
  return value;
}

export function positiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(where, name, 'a positive integer', value);
  return value;
}

export function nonNegativeInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(where, name, 'an integer ≥ 0', value);
  return value;
}

/** A number in the closed interval [low, high]. */
export function numberIn(where: string, name: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !(value >= low && value <= high)) fail(where, name, `a number in [${low}, ${high}]`, value);
  return value;
}

export function oneOf<T extends string>(where: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(where, name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

export function flag(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(where, name, 'true or false', value);
  return value;
}

export function callable<F extends (...args: never[]) => unknown>(where: string, name: string, value: unknown): F {
  if (typeof value !== 'function') fail(where, name, 'a function', value);
  return value as F;
}

export function required<T>(where: string, name: string, value: T | undefined | null): T {
  if (value === undefined || value === null) throw new TypeError(`${where}: ${name} is required`);
  return value;
}

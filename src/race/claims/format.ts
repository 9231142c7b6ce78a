/**
 * Small helpers every claim file uses: numbers for prose, the contestant families the lecture
 * groups, and the outcome of a claim whose optimizers were left out.
 */
import type { AnyClaim, ClaimOutcome, RacePlan } from '../types.js';

export const MOMENTUM_FAMILY = ['momentum', 'nesterov'] as const;
export const ADAPTIVE_FAMILY = ['adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw', 'adamax', 'nadam', 'radam', 'lamb'] as const;

/** The ids a claim needs that the race lacks, or an empty list. */
export function missingFor(plan: RacePlan, claim: AnyClaim): string[] {
  const missing = claim.requires.all.filter((id) => !plan.has(id));
  for (const group of claim.requires.oneOf) if (!group.some((id) => plan.has(id))) missing.push(group.join(' or '));
  return missing;
}

export function notRunOutcome(missing: readonly string[]): ClaimOutcome {
  return {
    verdict: 'not run',
    rule: 'not run: the experiment needs optimizers that --optimizers left out',
    summary: `Needs ${missing.join(', ')} (not in --optimizers).`,
    interpretation: '',
    method: 'Not run: the experiment needs optimizers that --optimizers left out.',
    values: { missing: [...missing] },
    figures: [],
  };
}

/** Formats a number for a claim's prose: 3 significant digits, exponent when tiny or huge. */
export function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : value < 0 ? '−∞' : 'NaN';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits)));
}

export function percent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}

/** A per-step curve as [step, value] points (steps count from 1). */
export function curvePoints(values: ArrayLike<number>): Array<[number, number]> {
  return Array.from(values, (v, t) => [t + 1, v] as [number, number]);
}

/**
 * Verdicts made of several parts (every optimizer of a family, both sides of a two-sided rule):
 * the claim holds when every part holds, does not hold here when any part clearly fails, and is
 * inconclusive otherwise.
 */
import type { Verdict } from '../types.js';

export function everyVerdict(parts: readonly Verdict[]): Verdict {
  const decided = parts.filter((v) => v !== 'not run');
  if (decided.length === 0) return 'not run';
  if (decided.some((v) => v === 'does not hold here')) return 'does not hold here';
  return decided.every((v) => v === 'holds') ? 'holds' : 'inconclusive';
}

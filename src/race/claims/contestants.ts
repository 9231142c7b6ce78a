/**
 * The race entries the saddle and local-minima claims run in lockstep (many starts in one
 * tensor), and how their learning rate is matched across families.
 *
 * Matched effective step η: every optimizer moves the same distance per step under a steady
 * gradient of size 1.
 *   - plain gradient steps move lr·|g|: lr = η;
 *   - heavy ball and Nesterov reach the terminal step lr·|g|/(1 − μ): lr = η(1 − μ);
 *   - normalized steps (Adam, RMSProp, Adamax, NAdam, RAdam after its warm-up, Adagrad on its
 *     first step) move lr per coordinate whatever |g|: lr = η.
 * So at |g| = 1 all move η per step; where |g| ≪ 1, near a saddle or on a plateau, a normalized
 * method still moves ~η while the others move η|g|. That difference is what the claims test.
 *
 * Left out: Adadelta (no learning rate in the same sense: its step scale is learned from
 * ε = 10⁻⁶ upwards), AdamW (its decay pulls towards the origin, which on these surfaces is the
 * saddle or the hump), LAMB and LARS (their trust ratio couples the many starts held in one
 * tensor), L-BFGS, SAM and Lookahead (a different budget per step).
 */
import { raceEntry } from '../entries.js';
import type { RacePlan } from '../types.js';

export type StepMatching = 'gradient' | 'momentum' | 'normalized';

/** How each race entry that can run in lockstep is matched; entries not listed are left out. */
export const STEP_MATCHING: Readonly<Record<string, StepMatching>> = {
  sgd: 'gradient',
  momentum: 'momentum',
  nesterov: 'momentum',
  adagrad: 'normalized',
  rmsprop: 'normalized',
  adam: 'normalized',
  adamax: 'normalized',
  nadam: 'normalized',
  radam: 'normalized',
};

export const MOMENTUM_IDS: readonly string[] = Object.keys(STEP_MATCHING).filter((id) => STEP_MATCHING[id] === 'momentum');
export const NORMALIZED_IDS: readonly string[] = Object.keys(STEP_MATCHING).filter((id) => STEP_MATCHING[id] === 'normalized');

/** The race's contestants these claims run (SGD first, always: it is the baseline). */
export function lockstepContestants(plan: RacePlan): string[] {
  return Object.keys(STEP_MATCHING).filter((id) => id === 'sgd' || plan.has(id));
}

/** The learning rate that gives race entry `id` the effective step η. */
export function matchedLr(id: string, eta: number): number {
  if (!(Number.isFinite(eta) && eta > 0)) throw new RangeError(`matchedLr: the effective step must be a finite number > 0, got ${eta}`);
  const matching = STEP_MATCHING[id];
  if (matching === undefined) throw new RangeError(`matchedLr: ${JSON.stringify(id)} has no matched step; valid: ${Object.keys(STEP_MATCHING).join(', ')}`);
  if (matching !== 'momentum') return eta;
  const momentum = raceEntry(id).options.momentum;
  if (typeof momentum !== 'number' || !(momentum > 0 && momentum < 1)) throw new RangeError(`matchedLr: ${id} is matched by its momentum, but has momentum ${String(momentum)}`);
  return eta * (1 - momentum);
}

/**
 * The lecture's twelve claims, in its order and words, and the contestants each experiment
 * cannot do without.
 */
import type { ClaimResult } from '../results.js';
import type { RaceContext } from '../context.js';

export interface ClaimStatement {
  readonly id: number;
  readonly title: string;
  readonly claim: string;
  /** Every id listed must be in the race. */
  readonly requiresAll: readonly string[];
  /** At least one id of each inner list must be in the race. */
  readonly requiresOneOf: ReadonlyArray<readonly string[]>;
}

export const MOMENTUM_FAMILY = ['momentum', 'nesterov'] as const;
export const ADAPTIVE_FAMILY = ['adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw', 'adamax', 'nadam', 'radam', 'lamb'] as const;

export const CLAIMS: readonly ClaimStatement[] = [
  {
    id: 1,
    title: 'Saddle points slow plain gradient descent',
    claim: 'Near a saddle point the gradient is tiny, so plain gradient descent lingers there; momentum and adaptive methods escape faster.',
    requiresAll: ['sgd'],
    requiresOneOf: [[...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY]],
  },
  {
    id: 2,
    title: 'Local minima trap plain gradient descent',
    claim: 'Plain gradient descent settles in the first minimum it meets; momentum can carry an optimizer over a hump into a better one.',
    requiresAll: ['sgd'],
    requiresOneOf: [[...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY]],
  },
  {
    id: 3,
    title: 'Gradients vanish in deep sigmoid networks',
    claim: 'Through many sigmoid layers the gradient shrinks layer by layer, so the first layers barely learn.',
    requiresAll: [],
    requiresOneOf: [],
  },
  {
    id: 4,
    title: 'SGD lags on sparse features; Adagrad fixes it',
    claim: 'With sparse features one learning rate for all is wrong: rare features get few, small updates under SGD, while Adagrad gives them larger steps and learns faster.',
    requiresAll: ['sgd', 'adagrad'],
    requiresOneOf: [],
  },
  {
    id: 5,
    title: "Adagrad's steps shrink until learning stops; RMSProp's do not",
    claim: "Adagrad divides by the sum of all past squared gradients, so its effective learning rate decays towards zero; RMSProp's moving average keeps it alive, which matters when the target moves.",
    requiresAll: ['adagrad', 'rmsprop'],
    requiresOneOf: [],
  },
  {
    id: 6,
    title: "Adam's bias correction matters in the first steps",
    claim: "Adam's moment estimates start at zero; without bias correction the first steps are mis-sized, and correcting them matters early in training.",
    requiresAll: ['adam'],
    requiresOneOf: [],
  },
  {
    id: 7,
    title: "The lecture's memory column",
    claim: 'Optimizer state per parameter: SGD and SGD with momentum need O(1) extra memory, Adagrad and RMSProp one buffer, Adadelta and Adam two.',
    requiresAll: [],
    requiresOneOf: [[...MOMENTUM_FAMILY, 'sgd', ...ADAPTIVE_FAMILY]],
  },
  {
    id: 8,
    title: 'SGD + momentum with a schedule generalizes as well as Adam',
    claim: 'Tuned SGD with momentum and a decaying learning-rate schedule generalizes as well as or better than Adam, even when Adam trains faster.',
    requiresAll: ['momentum', 'adam'],
    requiresOneOf: [],
  },
  {
    id: 9,
    title: "AdamW's decoupled weight decay beats Adam + L2",
    claim: "Adding an L2 penalty to Adam's gradient is not weight decay (the penalty is rescaled per coordinate); decoupling it, as AdamW does, regularizes better.",
    requiresAll: ['adam', 'adamw'],
    requiresOneOf: [],
  },
  {
    id: 10,
    title: 'LAMB and LARS hold accuracy at large batch',
    claim: 'At large batch sizes (and equal epochs) Adam and SGD lose accuracy; the layer-wise trust ratios of LAMB and LARS keep it.',
    requiresAll: [],
    requiresOneOf: [['lamb', 'lars'], ['adam', 'sgd', 'momentum']],
  },
  {
    id: 11,
    title: 'Lookahead and RAdam are less sensitive to the learning rate',
    claim: "Lookahead's slow weights and RAdam's rectified warm-up make training robust to the choice of learning rate.",
    requiresAll: ['adam'],
    requiresOneOf: [['lookahead', 'radam']],
  },
  {
    id: 12,
    title: 'SAM finds flatter minima',
    claim: 'Sharpness-aware minimization seeks parameters whose whole neighbourhood has low loss: it ends in flatter minima than its base optimizer.',
    requiresAll: ['sam', 'momentum'],
    requiresOneOf: [],
  },
];

export function statement(id: number): ClaimStatement {
  return CLAIMS[id - 1]!;
}

/** The ids a claim needs that the race lacks, or an empty list. */
export function missingFor(context: RaceContext, claim: ClaimStatement): string[] {
  const missing = claim.requiresAll.filter((id) => !context.has(id));
  for (const group of claim.requiresOneOf) if (!group.some((id) => context.has(id))) missing.push(group.join(' or '));
  return missing;
}

export function notRun(claim: ClaimStatement, missing: readonly string[]): ClaimResult {
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: 'Not run: the experiment needs optimizers that --optimizers left out.',
    verdict: 'not run',
    summary: `Needs ${missing.join(', ')} (not in --optimizers).`,
    figures: { missing: [...missing] },
    charts: [],
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

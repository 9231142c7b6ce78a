/**
 * How the fuzz suite judges one input. An input is either *refused* (it threw an error that
 * says what is wrong, in descent's words), *accepted* (no error, and every invariant the target
 * checks afterwards holds), or a *crash*: a raw engine error (a stack overflow, "Cannot read
 * properties of undefined", a WebAssembly trap), a refusal that changed something, or an
 * accepted input that broke an invariant (an unknown option kept, a NaN learning rate, paths
 * that disagree). A run passes when it has no crash.
 */

export interface FuzzCounts {
  tried: number;
  refused: number;
  accepted: number;
  crashes: number;
  /** The first few crashes, each with the input that caused it. */
  examples: string[];
}

export function emptyCounts(): FuzzCounts {
  return { tried: 0, refused: 0, accepted: 0, crashes: 0, examples: [] };
}

export function addCounts(total: FuzzCounts, part: FuzzCounts): void {
  total.tried += part.tried;
  total.refused += part.refused;
  total.accepted += part.accepted;
  total.crashes += part.crashes;
  total.examples.push(...part.examples.slice(0, Math.max(0, 10 - total.examples.length)));
}

/** Messages that come from the JavaScript engine or WebAssembly, not from a check in descent. */
const ENGINE_MESSAGES =
  /Maximum call stack|Cannot read propert|Cannot set propert|Cannot convert|Cannot create property|is not a function|is not iterable|is not a constructor|undefined is not|null is not|Invalid array length|Invalid typed array length|Array buffer allocation failed|out of memory|offset is out of bounds|Start offset|Invalid string length|circular structure|memory access out of bounds|unreachable|Invalid count value|toFixed\(\) digits/i;

/** Whether an error is descent's own refusal: an Error with a message that is not the engine's. */
export function isClearRefusal(error: unknown): boolean {
  if (!(error instanceof Error) || error.message.trim() === '') return false;
  const runtimeError = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly?.RuntimeError;
  if (runtimeError !== undefined && error instanceof runtimeError) return false;
  return !ENGINE_MESSAGES.test(error.message);
}

/** The first frame of an error's stack inside descent's sources, to say where a raw error came from. */
function whereThrown(error: Error): string {
  const frame = (error.stack ?? '').split('\n').find((line) => line.includes('/src/'));
  return frame === undefined ? '' : `(${frame.trim()})`;
}

/** Thrown by a target's checks when an invariant does not hold. */
export class InvariantBroken extends Error {}

export function invariant(ok: boolean, what: string): asserts ok {
  if (!ok) throw new InvariantBroken(what);
}

/** A short, bounded rendering of an input for a crash report. */
export function show(value: unknown): string {
  const seen = new WeakSet<object>();
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'function') return 'fn';
      if (typeof v === 'symbol') return String(v);
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[cycle]';
        seen.add(v);
        if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
      }
      return v;
    });
  } catch {
    text = '(too deep to show)';
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Runs one input through `attempt`, then `onRefused` (checks that the refusal changed nothing)
 * or `onAccepted` (checks the invariants of an accepted input), and counts the outcome.
 */
export function judge(counts: FuzzCounts, label: string, input: unknown, attempt: () => void, onRefused: () => void = () => {}, onAccepted: () => void = () => {}): void {
  counts.tried += 1;
  const crash = (why: string): void => {
    counts.crashes += 1;
    if (counts.examples.length < 10) counts.examples.push(`${label}: ${why}\n    input: ${show(input)}`);
  };
  let refusal: unknown = null;
  try {
    attempt();
  } catch (error) {
    refusal = error ?? new Error('(a null was thrown)');
  }
  try {
    if (refusal === null) {
      onAccepted();
      counts.accepted += 1;
    } else if (!isClearRefusal(refusal)) {
      crash(`raw error: ${refusal instanceof Error ? `${refusal.name}: ${refusal.message} ${whereThrown(refusal)}` : show(refusal)}`);
    } else {
      onRefused();
      counts.refused += 1;
    }
  } catch (error) {
    const what = error instanceof InvariantBroken ? error.message : `raw error after the ${refusal === null ? 'acceptance' : 'refusal'}: ${(error as Error)?.message ?? show(error)}`;
    crash(refusal === null ? `accepted, but ${what}` : `refused (${(refusal as Error).message.slice(0, 160)}), but ${what}`);
  }
}

/** The budget of one run: the seed, and how many inputs or how long, whichever ends first. */
export interface FuzzBudget {
  seed: number;
  maxInputs: number;
  timeLimitMs: number;
}

/** Draws inputs from `sample(seed, n)` until the budget is spent, feeding each to `each`. */
export function spend<T>(budget: FuzzBudget, sample: (seed: number, count: number) => T[], each: (input: T) => void): void {
  const deadline = Date.now() + budget.timeLimitMs;
  let used = 0;
  for (let batch = 0; used < budget.maxInputs && Date.now() < deadline; batch++) {
    for (const input of sample(budget.seed * 7919 + batch, Math.min(20, budget.maxInputs - used))) {
      each(input);
      used += 1;
      if (Date.now() >= deadline) return;
    }
  }
}

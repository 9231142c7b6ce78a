/**
 * Options objects are checked for unknown keys, so that a misspelt option (`gama`, or
 * `batch_size` in PyTorch's spelling) fails loudly instead of silently leaving the default in
 * force. Only own keys count: `Object.prototype` names (`toString`, `constructor`) are not
 * options, and an option inherited from a prototype is not read either.
 */

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let beforePrevious = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const substitution = previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1);
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, beforePrevious[j - 2]! + 1);
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[t.length]!;
}

/** The known name nearest to `key` (PyTorch's snake_case spelling first), or null when none is close. */
export function closestName(key: string, known: readonly string[]): string | null {
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && known.includes(camel)) return camel;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(camel, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  // A suggestion that shares less than half its letters with the key would mislead.
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 2)) ? best : null;
}

/** Throws a TypeError naming the first key of `options` that is not in `known`, and the closest known one. */
export function checkKnownOptions(where: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${Array.isArray(options) ? 'an array' : String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const closest = closestName(key, known);
      const hint = closest === null ? '' : ` (did you mean ${closest}?)`;
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)}${hint}; known options are ${known.join(', ')}`);
    }
  }
}

/**
 * Checks the keys of an options object (absent: `{}`) and returns a copy holding its own keys
 * only, so nothing inherited is read as an option.
 */
export function ownOptions<T extends object>(where: string, options: T | undefined | null, known: readonly string[]): T {
  if (options === undefined || options === null) return {} as T;
  checkKnownOptions(where, options, known);
  return Object.fromEntries(Object.entries(options)) as T;
}

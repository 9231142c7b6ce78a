/**
 * Whether arrays and objects in `value` nest deeper than `limit` levels. The walk keeps its own
 * stack, so a hostile depth (10⁵ levels) is measured, not followed into a stack overflow.
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[object, number]> = value !== null && typeof value === 'object' ? [[value, 1]] : [];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child as object, depth + 1]);
    }
  }
  return false;
}

/** Deeper than any state dict descent or PyTorch writes (a wrapper's base optimizer's L-BFGS history is 7). */
export const STATE_DICT_MAX_DEPTH = 16;

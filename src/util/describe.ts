/**
 * A short rendering of a bad value for an error message: strings quoted, arrays listed, the
 * rest by kind. Bounded: a value from a state dict or a hostile caller may be huge or deeply
 * nested, and describing it must neither flood the message nor overflow the stack, nor throw
 * (an object without a prototype has no \`toString\`).
 */
export function describeValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) {
    if (depth >= 2) return '[…]';
    const shown = value.slice(0, 4).map((v: unknown) => describeValue(v, depth + 1));
    return `[${shown.join(', ')}${value.length > 4 ? ', …' : ''}]`;
  }
  if (value !== null && typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return String(value);
}

/**
 * What an adversarial user passes: hostile values, misspelt and inherited option names, and
 * mutations of JSON documents (state dicts, checkpoint payloads, file headers).
 */
import fc from 'fast-check';

/** A value nested `depth` arrays deep (built once per depth: they are big). */
const deepCache = new Map<number, unknown>();
export function deeplyNested(depth: number): unknown {
  let value = deepCache.get(depth);
  if (value === undefined) {
    value = 0;
    for (let i = 0; i < depth; i++) value = [value];
    deepCache.set(depth, value);
  }
  return value;
}

const throwingValueOf = {
  valueOf(): number {
    throw new Error('valueOf was called');
  },
};

/** Numbers at and past every edge a check might miss. */
export const hostileNumber = fc.constantFrom(
  Number.NaN, Infinity, -Infinity, -1, -1e-300, -0, 0, 5e-324, 1e-45, 0.5, 1, 1 - 2 ** -53, 1.5, 2, 255, 2 ** 31, 2 ** 53, 1e308, 3.5e38,
);

/** Anything but a sane value: wrong types, nesting, objects with traps. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileNumber },
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      '0.1', '', 'NaN', 'true', null, undefined, true, false, [], {}, [0.9], [0.9, 0.999, 0.5], [Number.NaN, 0.9], ['0.9', '0.999'],
      [0.9, Infinity], { 0: 0.9, 1: 0.999, length: 2 }, () => 1, 10n, Symbol('s'), throwingValueOf, Object.create(null), new Float32Array(2),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000).map(deeplyNested) },
);

/** Names every object inherits: none of them is an option. */
export const prototypeNames = ['toString', 'valueOf', 'constructor', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__proto__', '__defineGetter__'];

/** A known name with one slip: a dropped, doubled or swapped letter, another case, snake_case. */
export function misspelling(names: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...names), fc.nat(), fc.constantFrom('drop', 'double', 'swap', 'case', 'snake', 'vowel', 'plural'))
    .map(([name, at, slip]) => {
      const i = at % name.length;
      switch (slip) {
        case 'drop':
          return name.slice(0, i) + name.slice(i + 1);
        case 'double':
          return name.slice(0, i) + name[i] + name.slice(i);
        case 'swap':
          return i + 1 < name.length ? name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2) : name.toUpperCase();
        case 'case':
          return name.toLowerCase() === name ? name.toUpperCase() : name.toLowerCase();
        case 'snake':
          return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) + (/[A-Z]/.test(name) ? '' : '_');
        case 'vowel':
          return name.replace(/[aeiou]/, (v) => ({ a: 'e', e: 'a', i: 'e', o: 'a', u: 'a' })[v]!);
        default:
          return `${name}s`;
      }
    })
    .filter((slipped) => !names.includes(slipped) && slipped !== '');
}

function isDeeplyNested(value: unknown): boolean {
  for (const nested of deepCache.values()) if (value === nested) return true;
  return false;
}

/**
 * A copy of a drawn value to put into a document: fast-check hands out the same constant objects
 * again and again, and a later mutation must not change them (or tie them into a cycle).
 */
export function fresh(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || isDeeplyNested(value)) return value;
  if (Array.isArray(value)) return value.map(fresh);
  if (ArrayBuffer.isView(value)) return (value as unknown as Float32Array).slice();
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const [key, child] of Object.entries(value)) copy[key] = fresh(child);
  return copy;
}

/** Sets an own property, even `__proto__` (plain assignment would change the prototype instead). */
export function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export type Mutation =
  | { kind: 'replace'; path: number; value: unknown }
  | { kind: 'delete'; path: number }
  | { kind: 'addKey'; path: number; key: string; value: unknown }
  | { kind: 'respell'; path: number; spelling: number }
  | { kind: 'resize'; path: number; grow: boolean }
  | { kind: 'swap'; path: number; other: number };

/** One to three mutations; `path` numbers pick among the document's nodes modulo their count. */
export function mutations(extraKeys: readonly string[]): fc.Arbitrary<Mutation[]> {
  const path = fc.nat();
  const key = fc.oneof(fc.constantFrom(...prototypeNames, ...extraKeys, '', ' ', '1', '01', 'NaN'), fc.string({ maxLength: 6 }));
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), path, value: hostileValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('addKey' as const), path, key, value: hostileValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('respell' as const), path, spelling: fc.nat(5) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), path, grow: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), path, other: fc.nat() }) },
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

interface Node {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/** Every (parent, key) slot of a JSON document, depth first, arrays of numbers counted as one slot per element. */
function slots(document: unknown): Node[] {
  const found: Node[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || isDeeplyNested(value)) return;
    if (Array.isArray(value)) {
      // Long arrays of numbers: a few elements stand for all of them.
      const indices = value.length <= 8 ? value.keys() : [0, 1, value.length - 1].values();
      for (const i of indices) {
        found.push({ parent: value, key: i });
        visit(value[i], depth + 1);
      }
    } else {
      for (const key of Object.keys(value)) {
        found.push({ parent: value as Record<string, unknown>, key });
        visit((value as Record<string, unknown>)[key], depth + 1);
      }
    }
  };
  visit(document, 0);
  return found;
}

/** Other spellings of an index-like key: "1" → "01", "0x1", "1.0", " 1", "+1", "1e0". */
function respelled(key: string, spelling: number): string {
  const n = Number(key);
  if (!Number.isInteger(n)) return key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase();
  return [`0${n}`, `0x${n.toString(16)}`, `${n}.0`, ` ${n}`, `+${n}`, `${n}e0`][spelling % 6]!;
}

/** Whether `target` is `value` or inside it. */
function holds(value: unknown, target: unknown): boolean {
  if (value === target) return true;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || isDeeplyNested(value)) return false;
  return Object.values(value).some((child) => holds(child, target));
}

/** Applies mutations to a document in place (the caller passes a copy). */
export function mutate(document: unknown, changes: readonly Mutation[]): void {
  for (const change of changes) {
    const all = slots(document);
    if (all.length === 0) return;
    const { parent, key } = all[change.path % all.length]!;
    const record = parent as Record<string | number, unknown>;
    switch (change.kind) {
      case 'replace':
        record[key] = fresh(change.value);
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete record[key];
        break;
      case 'addKey':
        if (Array.isArray(parent)) parent.push(fresh(change.value));
        else setOwn(parent, change.key, fresh(change.value));
        break;
      case 'respell':
        if (!Array.isArray(parent)) {
          const value = record[key];
          const spelled = respelled(String(key), change.spelling);
          // Half the time the old spelling stays too: one entry, two spellings.
          if (change.spelling % 2 === 0) delete record[key];
          setOwn(parent, spelled, value);
        }
        break;
      case 'resize': {
        const target = record[key];
        if (Array.isArray(target)) {
          if (change.grow) target.push(target.length > 0 ? target[target.length - 1] : 0);
          else target.pop();
        }
        break;
      }
      case 'swap': {
        const other = all[change.other % all.length]!;
        const value = record[key];
        // Moving a node into its own subtree would make a cycle, which no file can hold.
        if (holds(value, other.parent) || holds((other.parent as Record<string | number, unknown>)[other.key], parent)) break;
        record[key] = (other.parent as Record<string | number, unknown>)[other.key];
        (other.parent as Record<string | number, unknown>)[other.key] = value;
        break;
      }
    }
  }
}

/**
 * A document as JSON text, as a hostile file would hold it: NaN and ±∞ as the checkpoint writer
 * spells them, and the deeply nested values written out (JSON.stringify overflows the stack on them).
 */
export function jsonText(document: unknown): string {
  const deep = new Map<string, number>();
  const text = JSON.stringify(document, (_key, value: unknown) => {
    for (const [depth, nested] of deepCache) {
      if (value === nested) {
        const marker = `@deep${depth}@`;
        deep.set(JSON.stringify(marker), depth);
        return marker;
      }
    }
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return String(value);
    return value;
  });
  let out = text ?? 'null';
  for (const [marker, depth] of deep) out = out.split(marker).join(`${'['.repeat(depth)}0${']'.repeat(depth)}`);
  return out;
}

/** A deep copy of JSON-like data that keeps NaN, ±∞ and −0 (JSON.parse(JSON.stringify()) would not). */
export function copyDocument<T>(document: T): T {
  return structuredClone(document);
}

/** Deep equality with numbers compared by Object.is (NaN equals NaN, 0 differs from −0). */
export function sameDocument(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return false;
    return sameDocument(Array.from(a as unknown as ArrayLike<number>), Array.from(b as unknown as ArrayLike<number>));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => Object.hasOwn(b, k) && sameDocument((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Optimizer options as command-line flags, derived from the registry's option specs: one
 * flag per option name (`weightDecay` → `--weight-decay`), parsed and range-checked against
 * the spec of the optimizer chosen, with errors that name the flag, the value and what is valid.
 */
import { optimizerSpecs, wrapperSpecs, type OptionSpec, type OptimizerSpec, type WrapperSpec } from '../optim/registry.js';
import { UsageError } from './errors.js';

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every option name of every optimizer and wrapper, with the optimizers that take it. */
export function allOptionFlags(): Array<{ spec: OptionSpec; users: string[] }> {
  const byName = new Map<string, { spec: OptionSpec; users: string[] }>();
  for (const owner of [...optimizerSpecs, ...wrapperSpecs]) {
    for (const option of owner.options) {
      const known = byName.get(option.name);
      if (known) known.users.push(owner.id);
      else byName.set(option.name, { spec: option, users: [owner.id] });
    }
  }
  return [...byName.values()];
}

/** How a flag is written in help text: `--betas <b1,b2>`, `--amsgrad [bool]`. */
export function flagSyntax(option: OptionSpec): string {
  const flag = `--${kebabCase(option.name)}`;
  switch (option.type) {
    case 'boolean':
      return `${flag} [bool]`;
    case 'betas':
      return `${flag} <b1,b2>`;
    case 'choice':
      return `${flag} <${(option.choices ?? []).map(String).join('|')}>`;
    case 'tuple':
      return `${flag} <${Array.from({ length: option.length ?? 0 }, (_, i) => `x${i + 1}`).join(',')}>`;
    default:
      return `${flag} <number>`;
  }
}

/** The optimizer a command names, and the wrapper around it when the name is a wrapper's. */
export interface ChosenOptimizer {
  readonly optimizer: OptimizerSpec;
  readonly wrapper: WrapperSpec | null;
}

export function optimizerIds(): string[] {
  return [...optimizerSpecs.map((s) => s.id), ...wrapperSpecs.map((s) => s.id)];
}

/** Resolves `--optimizer` (and `--base` for a wrapper); unknown names list the valid ones. */
export function chooseOptimizer(name: string, base: string | undefined): ChosenOptimizer {
  const key = name.trim().toLowerCase();
  const wrapper = wrapperSpecs.find((w) => w.id === key || w.displayName.toLowerCase() === key) ?? null;
  const plain = optimizerSpecs.find((s) => s.id === key || s.displayName.toLowerCase() === key) ?? null;
  if (wrapper === null && plain === null) throw new UsageError(`unknown optimizer ${JSON.stringify(name)}; valid: ${optimizerIds().join(', ')}`);
  if (wrapper === null) {
    if (base !== undefined) throw new UsageError(`--base only applies to a wrapper (${wrapperSpecs.map((w) => w.id).join(', ')}), not to ${plain!.id}`);
    return { optimizer: plain!, wrapper: null };
  }
  const innerName = base ?? defaultBase(wrapper);
  const inner = optimizerSpecs.find((s) => s.id === innerName.toLowerCase() || s.displayName.toLowerCase() === innerName.toLowerCase());
  if (!inner) throw new UsageError(`unknown --base optimizer ${JSON.stringify(innerName)} for ${wrapper.id}; valid: ${optimizerSpecs.map((s) => s.id).join(', ')}`);
  return { optimizer: inner, wrapper };
}

/** Lookahead is shown around Adam, SAM around SGD, as in their papers. */
export function defaultBase(wrapper: WrapperSpec): string {
  return wrapper.id === 'sam' ? 'sgd' : 'adam';
}

function parseValue(option: OptionSpec, raw: unknown, flag: string): unknown {
  if (option.type === 'boolean') {
    if (raw === true || raw === undefined) return true;
    const text = String(raw).toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no'].includes(text)) return false;
    throw new UsageError(`invalid value ${JSON.stringify(raw)} for ${flag}: expected true or false`);
  }
  const text = String(raw).trim();
  if (option.type === 'choice') {
    const choices = option.choices ?? [];
    const match = choices.find((c) => String(c) === text);
    if (match === undefined) throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}; valid: ${choices.map(String).join(', ')}`);
    return match;
  }
  if (option.type === 'nullableNumber' && ['null', 'none'].includes(text.toLowerCase())) return null;
  if (option.type === 'betas') {
    const parts = text.split(',').map((p) => Number(p.trim()));
    if (parts.length !== 2 || !parts.every((p) => Number.isFinite(p)) || text.split(',').some((p) => p.trim() === '')) {
      throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: expected two numbers "b1,b2", e.g. 0.9,0.999`);
    }
    parts.forEach((p, i) => checkRange(option, p, `${flag} (beta ${i + 1})`));
    return parts;
  }
  if (option.type === 'tuple') return parseTuple(option, text, flag);
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: expected a number`);
  checkRange(option, value, flag);
  return value;
}

/** "0.5,1.2" → [0.5, 1.2]; "null" where the option allows it (Adafactor's `--eps null,1e-3`). */
function parseTuple(option: OptionSpec, text: string, flag: string): Array<number | null> {
  const parts = text.split(',').map((p) => p.trim());
  const nullable = option.nullableAt ?? [];
  const values = parts.map((p, i) => (nullable.includes(i) && ['null', 'none'].includes(p.toLowerCase()) ? null : p === '' ? NaN : Number(p)));
  if (values.length !== option.length || values.some((v) => v !== null && !Number.isFinite(v))) {
    const example = (option.default as unknown[]).map(String).join(',');
    throw new UsageError(`invalid value ${JSON.stringify(text)} for ${flag}: expected ${option.length} comma-separated numbers, e.g. ${example}`);
  }
  values.forEach((v, i) => v !== null && checkRange(option, v, `${flag} (value ${i + 1})`));
  return values;
}

function checkRange(option: OptionSpec, value: number, flag: string): void {
  const { min, max, exclusiveMin, exclusiveMax } = option;
  const low = min === undefined || (exclusiveMin ? value > min : value >= min);
  const high = max === undefined || (exclusiveMax ? value < max : value <= max);
  if (!low || !high) throw new UsageError(`invalid value ${value} for ${flag}: valid values are ${rangeText(option)}`);
}

/** "≥ 0", "in [0, 1)", "> 0" … as the spec says. */
export function rangeText(option: OptionSpec): string {
  const { min, max, exclusiveMin, exclusiveMax } = option;
  if (min !== undefined && max !== undefined) return `in ${exclusiveMin ? '(' : '['}${min}, ${max}${exclusiveMax ? ')' : ']'}`;
  if (min !== undefined) return `${exclusiveMin ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${exclusiveMax ? '<' : '≤'} ${max}`;
  return 'any number';
}

/**
 * Splits the flags a command received into the optimizer's options and the wrapper's,
 * refusing any flag that neither takes (the message lists the flags they do take).
 */
export function optionsFromFlags(chosen: ChosenOptimizer, given: Readonly<Record<string, unknown>>): { inner: Record<string, unknown>; wrapper: Record<string, unknown> } {
  const inner: Record<string, unknown> = {};
  const wrapper: Record<string, unknown> = {};
  const owners: Array<[OptionSpec[], Record<string, unknown>]> = [
    [chosen.wrapper ? [...chosen.wrapper.options] : [], wrapper],
    [[...chosen.optimizer.options], inner],
  ];
  const accepted = owners.flatMap(([options]) => options.map((o) => `--${kebabCase(o.name)}`));
  const name = chosen.wrapper ? `${chosen.wrapper.id} (around ${chosen.optimizer.id})` : chosen.optimizer.id;
  for (const [key, raw] of Object.entries(given)) {
    if (raw === undefined) continue;
    const flag = `--${kebabCase(key)}`;
    const owner = owners.find(([options]) => options.some((o) => o.name === key));
    if (!owner) throw new UsageError(`${flag} does not apply to ${name}; it takes ${accepted.join(', ')}`);
    const option = owner[0].find((o) => o.name === key)!;
    owner[1][key] = parseValue(option, raw, flag);
  }
  return { inner, wrapper };
}


/**
 * The playground's state and its URL hash. The hash is untrusted input: every field is checked
 * on its own, and a field that is malformed, unknown or out of range falls back to its default
 * with a note the page shows. Nothing here throws on any string.
 *
 *   #surface=rosenbrock&start=-1.2,1&show=adam,momentum&adam.lr=0.01&momentum.momentum=0.95
 *    &noise=0.5&seed=3&speed=4&steps=200
 *
 * Options are stored only where they differ from the contestant's default.
 */
import { contestants, defaultValue, findContestant, getSurface, surfaces, type Contestant, type Control } from './library.js';

export interface PlaygroundState {
  surface: string;
  start: [number, number];
  shown: string[];
  /** Option values chosen by the learner, by contestant id then option name. */
  options: Record<string, Record<string, unknown>>;
  /** Gradient noise σ (simulated mini-batch noise). */
  noise: number;
  seed: number;
  /** Steps per animation frame. */
  speed: number;
  /** Steps to run to on load (a link reproduces the view it was taken from). */
  steps: number;
}

export const LIMITS = {
  noise: { min: 0, max: 10 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  speed: { min: 1, max: 50 },
  steps: { min: 0, max: 5000 },
} as const;

export function defaultState(): PlaygroundState {
  return { surface: 'rosenbrock', start: [...getSurface('rosenbrock').start] as [number, number], shown: ['sgd', 'momentum', 'adam'], options: {}, noise: 0, seed: 0, speed: 2, steps: 0 };
}

/** Shows a string from the hash in a note without letting it take over the message. */
function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(short);
}

function parseNumber(text: string): number | null {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Whether `value` is one the control can set: the right type, valid, and within its slider range. */
export function checkOptionValue(control: Control, value: unknown): string | null {
  const { spec } = control;
  const inRange = (v: number): string | null => {
    if (!Number.isFinite(v)) return `${v} is not a finite number`;
    if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) return `${v} is below the valid ${spec.exclusiveMin ? '>' : '≥'} ${spec.min}`;
    if (spec.max !== undefined && (spec.exclusiveMax ? v >= spec.max : v > spec.max)) return `${v} is above the valid ${spec.exclusiveMax ? '<' : '≤'} ${spec.max}`;
    if (spec.range && (v < spec.range[0] || v > spec.range[1])) return `${v} is outside the control's range [${spec.range[0]}, ${spec.range[1]}]`;
    return null;
  };
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'expected true or false';
    case 'betas':
      if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'number')) return 'expected two numbers "β₁,β₂"';
      return inRange(value[0] as number) ?? inRange(value[1] as number);
    case 'number':
    case 'nullableNumber':
      if (value === null && spec.type === 'nullableNumber') return null;
      if (typeof value !== 'number') return 'expected a number';
      if (spec.name === 'k' && !Number.isInteger(value)) return `${value} is not an integer`;
      return inRange(value);
    default:
      return 'this option cannot be set here';
  }
}

function parseOptionText(control: Control, text: string): unknown {
  switch (control.spec.type) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'betas': {
      const parts = text.split(',').map(parseNumber);
      return parts.length === 2 && parts.every((p) => p !== null) ? parts : text;
    }
    case 'nullableNumber':
      if (text === 'none') return null;
      return parseNumber(text) ?? text;
    default:
      return parseNumber(text) ?? text;
  }
}

function formatOption(value: unknown): string {
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export function controlFor(contestant: Contestant, name: string): Control | undefined {
  return contestant.controls.find((c) => c.spec.name === name);
}

/** The value of an option in force for a contestant: the learner's, else the default. */
export function optionValue(state: PlaygroundState, contestant: Contestant, control: Control): unknown {
  const chosen = state.options[contestant.id];
  return chosen !== undefined && control.spec.name in chosen ? chosen[control.spec.name] : defaultValue(contestant, control);
}

/** Splits the learner's choices for a contestant into the optimizer's and the wrapper's. */
export function optionsFor(state: PlaygroundState, contestant: Contestant): { optimizer: Record<string, unknown>; wrapper: Record<string, unknown> } {
  const optimizer: Record<string, unknown> = {};
  const wrapper: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(state.options[contestant.id] ?? {})) {
    const control = controlFor(contestant, name);
    if (control) (control.owner === 'optimizer' ? optimizer : wrapper)[name] = value;
  }
  return { optimizer, wrapper };
}

export interface ParsedState {
  state: PlaygroundState;
  /** One line per field that fell back to its default. */
  notes: string[];
}

/** Reads a hash (with or without its '#'); never throws. */
export function parseHash(hash: string): ParsedState {
  const state = defaultState();
  const notes: string[] = [];
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text.trim() === '') return { state, notes };
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text);
  } catch {
    return { state, notes: ['the link could not be read; showing the defaults'] };
  }
  const integer = (key: 'seed' | 'speed' | 'steps', raw: string): void => {
    const value = parseNumber(raw);
    const { min, max } = LIMITS[key];
    if (value === null || !Number.isInteger(value) || value < min || value > max) notes.push(`${key} ${quote(raw)} is not an integer in [${min}, ${max}]; using ${state[key]}`);
    else state[key] = value;
  };

  const surfaceName = params.get('surface');
  let startGiven: string | null = params.get('start');
  if (surfaceName !== null) {
    if (surfaces.some((s) => s.name === surfaceName)) {
      state.surface = surfaceName;
      state.start = [...getSurface(surfaceName).start] as [number, number];
    } else {
      notes.push(`unknown surface ${quote(surfaceName)}; showing ${state.surface}`);
      if (startGiven !== null) {
        notes.push('the start point belonged to the unknown surface; using the default start');
        startGiven = null;
      }
    }
  }
  if (startGiven !== null) {
    const parts = startGiven.split(',').map(parseNumber);
    const { domain } = getSurface(state.surface);
    const [x, y] = parts;
    if (parts.length !== 2 || x === null || y === null || x === undefined || y === undefined || x < domain.x.min || x > domain.x.max || y < domain.y.min || y > domain.y.max) {
      notes.push(`start ${quote(startGiven)} is not a point "x,y" inside the surface's domain; using (${state.start.join(', ')})`);
    } else {
      state.start = [x, y];
    }
  }

  const show = params.get('show');
  if (show !== null) {
    const ids = show.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = ids.filter((id) => findContestant(id) === undefined);
    if (unknown.length > 0) notes.push(`unknown optimizer${unknown.length > 1 ? 's' : ''} ${unknown.map(quote).join(', ')} left out`);
    const known = [...new Set(ids.filter((id) => findContestant(id) !== undefined))];
    state.shown = known.length > 0 || unknown.length === 0 ? known : state.shown;
  }

  const noise = params.get('noise');
  if (noise !== null) {
    const value = parseNumber(noise);
    if (value === null || value < LIMITS.noise.min || value > LIMITS.noise.max) notes.push(`noise ${quote(noise)} is not a number in [${LIMITS.noise.min}, ${LIMITS.noise.max}]; using 0`);
    else state.noise = value;
  }
  for (const key of ['seed', 'speed', 'steps'] as const) {
    const raw = params.get(key);
    if (raw !== null) integer(key, raw);
  }

  const known = new Set(['surface', 'start', 'show', 'noise', 'seed', 'speed', 'steps']);
  for (const [key, raw] of params) {
    if (known.has(key)) continue;
    const [id, name, ...rest] = key.split('.');
    const contestant = id === undefined ? undefined : findContestant(id);
    const control = contestant && name !== undefined && rest.length === 0 ? controlFor(contestant, name) : undefined;
    if (!contestant || !control) {
      notes.push(`unknown setting ${quote(key)} ignored`);
      continue;
    }
    const value = parseOptionText(control, raw);
    const problem = checkOptionValue(control, value);
    if (problem !== null) {
      notes.push(`${contestant.label} ${name} ${quote(raw)}: ${problem}; using ${formatOption(defaultValue(contestant, control))}`);
      continue;
    }
    (state.options[contestant.id] ??= {})[name!] = value;
  }
  return { state, notes };
}

/** The hash that reproduces `state` (options only where they differ from the default). */
export function toHash(state: PlaygroundState): string {
  const params = new URLSearchParams();
  params.set('surface', state.surface);
  params.set('start', state.start.map((v) => Number(v.toPrecision(6))).join(','));
  params.set('show', state.shown.join(','));
  for (const contestant of contestants) {
    const chosen = state.options[contestant.id];
    if (!chosen) continue;
    for (const control of contestant.controls) {
      if (!(control.spec.name in chosen)) continue;
      const value = chosen[control.spec.name];
      if (formatOption(value) === formatOption(defaultValue(contestant, control))) continue;
      params.set(`${contestant.id}.${control.spec.name}`, formatOption(value));
    }
  }
  params.set('noise', String(state.noise));
  params.set('seed', String(state.seed));
  params.set('speed', String(state.speed));
  params.set('steps', String(state.steps));
  return '#' + params.toString().replaceAll('%2C', ',');
}

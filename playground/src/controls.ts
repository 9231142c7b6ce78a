/**
 * Option controls generated from the registry's option specs: a log or linear slider within the
 * spec's range, two sliders for β's, a checkbox for a flag. A control can only produce values
 * the spec accepts, and each carries the registry's description as its tooltip and label.
 */
import type { Contestant, Control } from './library.js';
import { checkOptionValue } from './state.js';

const SLIDER_STEPS = 200;

export interface ControlChange {
  readonly name: string;
  readonly value: unknown;
}

function sliderFor(spec: Control['spec'], value: number, label: string, onInput: (v: number) => void): HTMLElement {
  const [lo, hi] = spec.range ?? [spec.min ?? 0, spec.max ?? 1];
  const log = spec.scale === 'log' && lo > 0;
  const integer = spec.name === 'k';
  const toSlider = (v: number): number => (log ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * SLIDER_STEPS : ((v - lo) / (hi - lo)) * SLIDER_STEPS);
  const fromSlider = (s: number): number => {
    const raw = log ? 10 ** (Math.log10(lo) + (s / SLIDER_STEPS) * (Math.log10(hi) - Math.log10(lo))) : lo + (s / SLIDER_STEPS) * (hi - lo);
    // Four significant digits keep the range's own ends (β₂ up to 0.9999) reachable and valid.
    return integer ? Math.round(raw) : Math.min(Math.max(Number(raw.toPrecision(4)), lo), hi);
  };
  const wrapper = document.createElement('div');
  wrapper.className = 'slider';
  const input = document.createElement('input');
  input.type = 'range';
  input.min = '0';
  input.max = String(SLIDER_STEPS);
  input.step = '1';
  input.value = String(Math.round(toSlider(value)));
  input.setAttribute('aria-label', label);
  const output = document.createElement('output');
  output.textContent = formatValue(value);
  input.addEventListener('input', () => {
    const v = fromSlider(Number(input.value));
    output.textContent = formatValue(v);
    onInput(v);
  });
  wrapper.append(input, output);
  return wrapper;
}

export function formatValue(value: unknown): string {
  if (typeof value === 'number') return Math.abs(value) >= 1e-3 || value === 0 ? String(Number(value.toPrecision(4))) : value.toExponential(1);
  if (value === null) return 'none';
  return String(value);
}

/** The controls of one contestant; `onChange` receives only values the spec accepts. */
export function buildControls(contestant: Contestant, valueOf: (control: Control) => unknown, onChange: (change: ControlChange) => void): HTMLElement {
  const list = document.createElement('div');
  list.className = 'controls';
  for (const control of contestant.controls) {
    const { spec } = control;
    const row = document.createElement('div');
    row.className = 'control';
    row.title = spec.description;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = spec.name;
    row.append(name);
    const label = `${contestant.label} ${spec.name}: ${spec.description}`;
    const emit = (value: unknown): void => {
      if (checkOptionValue(control, value) === null) onChange({ name: spec.name, value });
    };
    const value = valueOf(control);
    if (spec.type === 'boolean') {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = value === true;
      box.setAttribute('aria-label', label);
      box.addEventListener('change', () => emit(box.checked));
      row.append(box);
    } else if (spec.type === 'betas') {
      const pair = [...(value as [number, number])] as [number, number];
      for (const index of [0, 1] as const) {
        row.append(
          sliderFor(spec, pair[index], `${label} (β${index === 0 ? '₁' : '₂'})`, (v) => {
            pair[index] = v;
            emit([...pair]);
          }),
        );
      }
    } else if (spec.type === 'number' || spec.type === 'nullableNumber') {
      let current = typeof value === 'number' ? value : (spec.default as number | null) ?? spec.range?.[1] ?? 1;
      if (spec.type === 'nullableNumber') {
        const off = document.createElement('input');
        off.type = 'checkbox';
        off.checked = value === null;
        off.setAttribute('aria-label', `${contestant.label} ${spec.name}: none`);
        const text = document.createElement('span');
        text.textContent = 'none';
        off.addEventListener('change', () => emit(off.checked ? null : current));
        row.append(off, text);
      }
      row.append(
        sliderFor(spec, current, label, (v) => {
          current = v;
          emit(v);
        }),
      );
    }
    list.append(row);
  }
  return list;
}

/** A contestant's colour key: its race colour, striped where the race dashes its line. */
export function swatchFor(contestant: Contestant): HTMLSpanElement {
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = contestant.dash.length > 0 ? `repeating-linear-gradient(90deg, ${contestant.colour} 0 4px, #fff 4px 6px)` : contestant.colour;
  return swatch;
}

/**
 * `descent list` and `descent describe <optimizer>`: what the registry knows, as text.
 */
import { optimizerSpecs, wrapperSpecs, type OptionSpec, type OptimizerSpec, type WrapperSpec, type PaperReference } from '../../optim/registry.js';
import { formatTable } from '../../race/render/terminal.js';
import { chooseOptimizer, defaultBase, flagSyntax, rangeText } from '../flags.js';

/** One line per optimizer: id, class name, what it does. */
export function listText(): string {
  const rows = [
    ...optimizerSpecs.map((s) => [s.id, s.displayName, s.torchName === null ? 'paper' : `torch.optim.${s.torchName}`, s.summary]),
    ...wrapperSpecs.map((w) => [w.id, w.displayName, 'wrapper', w.summary]),
  ];
  return `${formatTable(['id', 'name', 'reference', 'summary'], rows, ['left', 'left', 'left', 'left'])}\n\nMore: descent describe <id>`;
}

function showDefault(value: unknown): string {
  if (value === undefined) return '(required)';
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

function optionRows(options: readonly OptionSpec[]): string[][] {
  return options.map((o) => {
    const valid = o.type === 'boolean' ? 'true | false' : o.type === 'choice' ? (o.choices ?? []).map(String).join(' | ') : o.type === 'tuple' ? `${o.length} numbers, each ${rangeText(o)}` : rangeText(o);
    const slider = o.range ? `, typical ${o.range[0]} … ${o.range[1]}${o.scale === 'log' ? ' (log)' : ''}` : '';
    return [flagSyntax(o), showDefault(o.default), `${o.description} Valid: ${valid}${slider}.`];
  });
}

function reference(paper: PaperReference): string {
  return `${paper.authors} (${paper.year}). ${paper.title}. ${paper.url}`;
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function describeOptimizer(spec: OptimizerSpec): string {
  const defaults = spec.defaults as Record<string, unknown>;
  return [
    `${spec.displayName} (${spec.id}) — ${spec.summary}`,
    spec.torchName === null ? 'Not in PyTorch: implemented from the paper.' : `PyTorch: torch.optim.${spec.torchName}`,
    '',
    'Algorithm',
    indent(spec.algorithm),
    '',
    "Options (flags of `descent run`; defaults are PyTorch's)",
    indent(formatTable(['flag', 'default', 'meaning'], optionRows(spec.options), ['left', 'left', 'left'])),
    '',
    `State: ${spec.stateBytesNote === undefined ? `${spec.stateBytesPerParam(defaults as never)} bytes per float32 parameter with the defaults` : `bytes per float32 parameter: ${spec.stateBytesNote}`} · gradients: ${spec.gradients} · step needs a closure: ${spec.needsClosure ? 'yes' : 'no'}`,
    '',
    'Reference',
    indent(reference(spec.paper)),
  ].join('\n');
}

function describeWrapper(wrapper: WrapperSpec): string {
  return [
    `${wrapper.displayName} (${wrapper.id}) — ${wrapper.summary}`,
    `A wrapper: it takes the steps of another optimizer, chosen with --base (default ${defaultBase(wrapper)}); the base's flags apply too.`,
    '',
    'Algorithm',
    indent(wrapper.algorithm),
    '',
    'Options',
    indent(formatTable(['flag', 'default', 'meaning'], [['--base <id>', defaultBase(wrapper), `The optimizer it wraps: ${optimizerSpecs.map((s) => s.id).join(', ')}.`], ...optionRows(wrapper.options)], ['left', 'left', 'left'])),
    '',
    `State: ${wrapper.extraBytesPerParam} bytes per float32 parameter on top of the base's · step needs a closure: ${wrapper.needsClosure ? 'yes' : 'no'}`,
    '',
    'Reference',
    indent(reference(wrapper.paper)),
  ].join('\n');
}

export function describeText(name: string): string {
  const chosen = chooseOptimizer(name, undefined);
  return chosen.wrapper ? describeWrapper(chosen.wrapper) : describeOptimizer(chosen.optimizer);
}

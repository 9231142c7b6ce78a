/**
 * Every scheduler case in golden-2.14/schedulers.json (PyTorch 2.14.1), replayed on descent's own SGD and Adam:
 * lr (and SGD's momentum or Adam's betas[0]) after construction and after each
 * `optimizer.step(); scheduler.step()`.
 *
 * PyTorch computes these lrs as Python floats (float64) with its recursive (chainable) forms;
 * the schedulers here run the same recursions in float64, so the only differences left are the
 * last bits of Math.cos (V8's fdlibm vs glibc) and the cosine's trough step, which is written as
 * factor(T+1) instead of PyTorch's (1 − cos(π/T))/2. Hence a tolerance of 1e-13 relative.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { assertAllclose } from './helpers/allclose.js';
import { zeros } from '../src/tensor/index.js';
import { SGD } from '../src/optim/sgd.js';
import { Adam } from '../src/optim/adam.js';
import * as schedulers from '../src/schedulers/index.js';
import type { Scheduler, SchedulableOptimizer } from '../src/schedulers/index.js';

interface GoldenSchedulerSpec {
  scheduler: string;
  options: Record<string, unknown>;
}

interface GoldenSchedulerCase extends GoldenSchedulerSpec {
  name: string;
  optimizer: { name: 'SGD' | 'Adam'; options: Record<string, number> };
  epochs: number;
  metrics?: number[];
  lr: number[];
  momentum: number[];
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden-2.14/schedulers.json', import.meta.url), 'utf8')) as { cases: GoldenSchedulerCase[] };

const TOLERANCE = { rtol: 1e-13, atol: 1e-18 };

/** PyTorch's snake_case option names in descent's camelCase (T_max → TMax, step_size → stepSize). */
function camelOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const name = key.startsWith('T_') ? 'T' + key.slice(2).replace(/^([a-z])/, (c) => c.toUpperCase()) : key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[name] = value;
  }
  return out;
}

type SchedulerClass = new (optimizer: SchedulableOptimizer, options: unknown) => Scheduler;

function build(spec: GoldenSchedulerSpec, optimizer: SchedulableOptimizer): Scheduler {
  if (spec.scheduler === 'SequentialLR') {
    const children = (spec.options.schedulers as GoldenSchedulerSpec[]).map((child) => build(child, optimizer));
    return new schedulers.SequentialLR(optimizer, { schedulers: children as schedulers.LRScheduler[], milestones: spec.options.milestones as number[] });
  }
  if (spec.scheduler === 'ChainedScheduler') {
    return new schedulers.ChainedScheduler((spec.options.schedulers as GoldenSchedulerSpec[]).map((child) => build(child, optimizer)));
  }
  const Class = (schedulers as unknown as Record<string, SchedulerClass>)[spec.scheduler];
  if (typeof Class !== 'function') throw new Error(`no scheduler class ${spec.scheduler}`);
  return new Class(optimizer, camelOptions(spec.options));
}

function makeOptimizer(c: GoldenSchedulerCase): SGD | Adam {
  const param = zeros([2], { requiresGrad: true });
  param.grad = zeros([2]);
  return c.optimizer.name === 'SGD' ? new SGD([param], camelOptions(c.optimizer.options)) : new Adam([param], camelOptions(c.optimizer.options));
}

const reached: string[] = [];
let worstRelative = 0;

afterAll(() => {
  console.log(`scheduler golden parity (max abs / max rel error over lr and momentum):\n${reached.join('\n')}\nworst relative error: ${worstRelative.toExponential(2)}`);
});

describe('schedulers match PyTorch 2.14 (golden-2.14/schedulers.json)', () => {
  it('covers every scheduler class the fixtures name', () => {
    const names = new Set(golden.cases.map((c) => c.scheduler));
    for (const name of names) expect(typeof (schedulers as unknown as Record<string, unknown>)[name]).toBe('function');
    expect(golden.cases.length).toBe(18);
  });

  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const optimizer = makeOptimizer(c);
    const scheduler = build(c, optimizer);
    const group = optimizer.paramGroups[0]! as { lr: number; momentum?: number; betas?: [number, number] };
    const momentumOf = () => (c.optimizer.name === 'Adam' ? group.betas![0] : group.momentum!);

    const lrs = [group.lr];
    const momenta = [momentumOf()];
    for (let epoch = 1; epoch <= c.epochs; epoch++) {
      optimizer.step();
      if (scheduler.needsMetric) scheduler.step(c.metrics![epoch - 1]);
      else scheduler.step();
      lrs.push(group.lr);
      momenta.push(momentumOf());
    }
    expect(scheduler.getLastLr()).toEqual([group.lr]);

    const lr = assertAllclose(lrs, c.lr, TOLERANCE, `${c.name} lr`);
    const momentum = assertAllclose(momenta, c.momentum, TOLERANCE, `${c.name} momentum`);
    worstRelative = Math.max(worstRelative, lr.maxRelError, momentum.maxRelError);
    reached.push(`  ${c.name.padEnd(28)} lr ${lr.maxAbsError.toExponential(2)} / ${lr.maxRelError.toExponential(2)}   momentum ${momentum.maxAbsError.toExponential(2)} / ${momentum.maxRelError.toExponential(2)}`);
  });
});

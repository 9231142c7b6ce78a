/**
 * The round trip through live PyTorch: train in descent, continue in PyTorch with
 * interop/torch/descent_io.py, come back, continue in descent — and land where descent alone
 * lands. CI has no PyTorch, so this runs only where DESCENT_TORCH_PYTHON names an interpreter
 * that has torch and safetensors (a command, split on spaces, e.g. `python3` or
 * `chroot /opt/sid python3`). Files travel through DESCENT_TORCH_EXCHANGE, `<dir>:<the same dir
 * as the interpreter sees it>` (for the chroot: `/opt/sid/tmp:/tmp`); default: the system
 * temporary folder, seen alike by both.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Tensor, Generator, randn } from '../src/tensor/index.js';
import { loadModel, loadOptimizer, saveModel, saveOptimizer } from '../src/io/torch.js';
import { makeOptimizer, mlp, train } from './helpers/interop.js';
import { closeness } from './helpers/allclose.js';

const python = process.env.DESCENT_TORCH_PYTHON?.trim().split(/\s+/) ?? [];
const [hostBase, innerBase] = (process.env.DESCENT_TORCH_EXCHANGE ?? `${tmpdir()}:${tmpdir()}`).split(':') as [string, string | undefined];
const module = resolve(import.meta.dirname, '..', 'interop', 'torch', 'descent_io.py');

interface Case {
  optimizer: string;
  /** descent's option names; PyTorch gets them in snake_case. */
  options: Record<string, unknown>;
}

const CASES: Case[] = [
  { optimizer: 'Adam', options: { lr: 0.01, amsgrad: true } },
  { optimizer: 'AdamW', options: { lr: 0.01, weightDecay: 0.05 } },
  { optimizer: 'SGD', options: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.001 } },
  { optimizer: 'RMSprop', options: { lr: 0.005, centered: true, momentum: 0.5 } },
  { optimizer: 'Adagrad', options: { lr: 0.05, lrDecay: 0.01 } },
  // Lists of tensors (its history) and plain numbers in its state. One iteration a step: with
  // PyTorch's default 20, float32 rounding differences grow until the trajectories part.
  { optimizer: 'LBFGS', options: { lr: 0.5, historySize: 4, maxIter: 1 } },
];

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

const SCRIPT = String.raw`
import json, sys
folder = sys.argv[1]
sys.path.insert(0, folder)
import torch
from descent_io import load_model, load_optimizer, save_model, save_optimizer
spec = json.load(open(f"{folder}/spec.json"))
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
optimizer = getattr(torch.optim, spec["optimizer"])(model.parameters(), **spec["options"])
load_model(model, f"{folder}/model.safetensors")
load_optimizer(optimizer, f"{folder}/optimizer.safetensors", model=model)
save_model(model, f"{folder}/echo-model.safetensors")
save_optimizer(optimizer, f"{folder}/echo-optimizer.safetensors", model=model)
x, y = torch.tensor(spec["x"]), torch.tensor(spec["y"])
def closure():
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    return loss
losses = [optimizer.step(closure).item() for _ in range(spec["steps"])]
save_model(model, f"{folder}/torch-model.safetensors")
save_optimizer(optimizer, f"{folder}/torch-optimizer.safetensors", model=model)
json.dump({"losses": losses, "torch": torch.__version__}, open(f"{folder}/result.json", "w"))
`;

/** A copy of JSON data with every number rounded to float32. */
function float32(value: unknown): unknown {
  if (typeof value === 'number') return Math.fround(value);
  if (Array.isArray(value)) return value.map(float32);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, float32(v)]));
  return value;
}

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

describe.skipIf(python.length === 0)('the round trip through live PyTorch (DESCENT_TORCH_PYTHON)', () => {
  it.each(CASES)('$optimizer: descent → PyTorch → descent lands where descent alone lands', (spec) => {
    const host = mkdtempSync(join(hostBase, 'descent-torch-'));
    folders.push(host);
    const inner = innerBase === undefined ? host : join(innerBase, basename(host));
    const generator = new Generator(7);
    const x = randn([32, 4], { generator });
    const y = new Tensor(Float32Array.from({ length: 32 }, () => generator.integer(0, 3)), [32]);

    // 1. Train in descent, save both files.
    const model = mlp(1);
    const optimizer = makeOptimizer(spec.optimizer, model, spec.options);
    train(model, optimizer, x, y, 5);
    saveModel(model, join(host, 'model.safetensors'));
    saveOptimizer(optimizer, join(host, 'optimizer.safetensors'), { model });

    // The reference: descent alone continues 5 + 5 steps from the saved files.
    const alone = mlp(2);
    const aloneOptimizer = makeOptimizer(spec.optimizer, alone, spec.options);
    loadModel(alone, join(host, 'model.safetensors'));
    loadOptimizer(aloneOptimizer, join(host, 'optimizer.safetensors'));
    const aloneFirst = train(alone, aloneOptimizer, x, y, 5);
    const aloneMiddle = alone.namedParameters().map(([name, p]) => [name, Float32Array.from(p.data)] as const);
    const aloneSecond = train(alone, aloneOptimizer, x, y, 5);

    // 2. PyTorch continues 5 steps and saves.
    const options = Object.fromEntries(Object.entries(spec.options).map(([k, v]) => [snake(k), v]));
    writeFileSync(join(host, 'spec.json'), JSON.stringify({ optimizer: spec.optimizer, options, x: x.toArray(), y: Array.from(y.data), steps: 5 }));
    copyFileSync(module, join(host, 'descent_io.py'));
    writeFileSync(join(host, 'continue.py'), SCRIPT);
    execFileSync(python[0]!, [...python.slice(1), join(inner, 'continue.py'), inner], { stdio: 'pipe', timeout: 300_000 });
    const result = JSON.parse(readFileSync(join(host, 'result.json'), 'utf8')) as { losses: number[]; torch: string };
    const torchError = closeness(result.losses, aloneFirst, { rtol: 2e-6, atol: 0 });
    console.log(`${spec.optimizer}: PyTorch ${result.torch} continued; its losses within ${torchError.maxRelError.toExponential(2)} (relative) of descent's`);
    expect(torchError.ok, `PyTorch's losses ${result.losses} vs descent's ${aloneFirst} (max rel ${torchError.maxRelError})`).toBe(true);

    // What PyTorch loaded and saved at once comes back exactly as descent wrote it.
    const echo = mlp(4);
    const echoOptimizer = makeOptimizer(spec.optimizer, echo, spec.options);
    loadModel(echo, join(host, 'echo-model.safetensors'));
    loadOptimizer(echoOptimizer, join(host, 'echo-optimizer.safetensors'));
    expect(echo.stateDict()).toEqual(model.stateDict());
    // PyTorch keeps every floating state tensor in its parameter's dtype, so the numbers descent
    // holds in float64 (L-BFGS's `ro` and `H_diag`) come back rounded to float32.
    expect(float32(echoOptimizer.stateDict().state)).toEqual(float32(optimizer.stateDict().state));

    // 3. Back in descent: PyTorch's files load and training continues to descent-alone's numbers.
    const back = mlp(3);
    const backOptimizer = makeOptimizer(spec.optimizer, back, spec.options);
    loadModel(back, join(host, 'torch-model.safetensors'));
    loadOptimizer(backOptimizer, join(host, 'torch-optimizer.safetensors'));
    let worst = 0;
    for (const [name, expected] of aloneMiddle) {
      const c = closeness(back.namedParameters().find(([n]) => n === name)![1].data, expected, { rtol: 2e-6, atol: 2e-7 });
      expect(c.ok, `${name} after PyTorch's steps: max abs error ${c.maxAbsError}`).toBe(true);
      worst = Math.max(worst, c.maxAbsError);
    }
    console.log(`${spec.optimizer}: PyTorch's parameters within ${worst.toExponential(2)} (absolute) of descent's`);
    const backSecond = train(back, backOptimizer, x, y, 5);
    const backError = closeness(backSecond, aloneSecond, { rtol: 2e-6, atol: 0 });
    console.log(`${spec.optimizer}: back in descent, losses within ${backError.maxRelError.toExponential(2)} (relative) of descent alone`);
    expect(backError.ok, `losses ${backSecond} vs ${aloneSecond}`).toBe(true);
  });
});

describe.skipIf(python.length > 0)('the round trip through live PyTorch', () => {
  it.skip('skipped: set DESCENT_TORCH_PYTHON to an interpreter with torch and safetensors (see the top of this file)', () => {});
});

/**
 * Checkpoints shared with PyTorch. The fixtures in test/fixtures/golden-2.14/interop were written
 * by PyTorch 2.14 with the `safetensors` library after five training steps; descent loads each
 * into the same model and optimizer, runs the next five full-batch steps, and must reach
 * PyTorch's losses and parameters. Files descent writes read back bit for bit, and a file that
 * belongs to something else is refused with nothing changed.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Tensor } from '../src/tensor/index.js';
import { nn, F } from '../src/index.js';
import * as optim from '../src/optim/index.js';
import { makeOptimizer, mlp, train } from './helpers/interop.js';
import { withKernelBackend, type KernelBackend } from '../src/wasm/backend.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { loadModel, loadModelBytes, loadOptimizer, loadOptimizerBytes, saveModel, saveModelBytes, saveOptimizer, saveOptimizerBytes, type StatefulOptimizer } from '../src/io/torch.js';
import { closeness } from './helpers/allclose.js';

const fixtures = resolve(import.meta.dirname, 'fixtures', 'golden-2.14', 'interop');
const scratch = mkdtempSync(join(tmpdir(), 'descent-torch-io-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Continuation {
  optimizer: string;
  options: Record<string, unknown>;
  X: number[][];
  y: number[];
  losses_after_load: number[];
  params_after: Record<string, number[]>;
}

const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelOptions = (options: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(options).map(([k, v]) => [camel(k), v]));

const CASES = readdirSync(fixtures).sort();

describe.each(['js', 'wasm'] as const)('PyTorch 2.14 checkpoints continue training in descent, %s kernels', (backend: KernelBackend) => {
  it('has the five PyTorch fixtures', () => expect(CASES).toEqual(['adagrad', 'adam_amsgrad', 'adamw', 'rmsprop_centered', 'sgd_nesterov']));

  it.each(CASES)('%s: the next five steps reach PyTorch’s losses and parameters', (name) => {
    const spec = JSON.parse(readFileSync(join(fixtures, name, 'continue.json'), 'utf8')) as Continuation;
    const model = mlp();
    const optimizer = makeOptimizer(spec.optimizer, model, camelOptions(spec.options));
    loadModel(model, join(fixtures, name, 'model.safetensors'));
    loadOptimizer(optimizer, join(fixtures, name, 'optimizer.safetensors'));
    const x = new Tensor(Float32Array.from(spec.X.flat()), [spec.X.length, 4]);
    const y = new Tensor(Float32Array.from(spec.y), [spec.y.length]);
    const losses = withKernelBackend(backend, () => train(model, optimizer, x, y, 5));

    // Float32 arithmetic in another order than PyTorch's: correct code lands within a few ulp
    // (worst of the five: losses 1.3e-7 relative, parameters 1.2e-7 absolute, centered RMSprop),
    // so the bounds sit just above that.
    const lossError = closeness(losses, spec.losses_after_load, { rtol: 1e-6, atol: 0 });
    expect(lossError.ok, `losses ${losses} vs ${spec.losses_after_load}`).toBe(true);
    for (const [param, expected] of Object.entries(spec.params_after)) {
      const p = model.namedParameters().find(([n]) => n === param)![1];
      const c = closeness(p.data, expected, { rtol: 2e-6, atol: 2e-7 });
      expect(c.ok, `${param}: max abs error ${c.maxAbsError}`).toBe(true);
    }
  });
});

describe('descent writes the files PyTorch reads', () => {
  function trained(): { model: nn.Sequential; optimizer: ReturnType<typeof makeOptimizer> } {
    const model = mlp();
    const optimizer = makeOptimizer('Adam', model, { lr: 0.01, amsgrad: true });
    const x = new Tensor(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [8, 4]);
    train(model, optimizer, x, new Tensor(Float32Array.from([0, 1, 2, 0, 1, 2, 0, 1]), [8]), 3);
    return { model, optimizer };
  }

  it('names and lays out tensors as PyTorch does', () => {
    const { model, optimizer } = trained();
    const modelFile = decodeSafetensors(saveModelBytes(model), 'model');
    expect([...modelFile.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(modelFile.tensors.get('0.weight')!.shape).toEqual([8, 4]);
    const file = decodeSafetensors(saveOptimizerBytes(optimizer, { model }), 'optimizer');
    expect(file.metadata.format).toBe('torch.optim.state_dict');
    expect(file.metadata.optimizer).toBe('Adam');
    expect(JSON.parse(file.metadata.param_names!)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(JSON.parse(file.metadata.param_groups!)[0]).toMatchObject({ lr: 0.01, amsgrad: true, params: [0, 1, 2, 3] });
    expect(file.tensors.get('state.0.step')).toMatchObject({ dtype: 'F32', shape: [] });
    expect(Array.from(file.tensors.get('state.0.step')!.data)).toEqual([3]);
    expect(file.tensors.get('state.2.max_exp_avg_sq')!.shape).toEqual([3, 8]);
    expect(file.metadata.state).toBeUndefined();
  });

  it.each(CASES)('%s: loaded and saved again, the file holds what PyTorch wrote', (name) => {
    const spec = JSON.parse(readFileSync(join(fixtures, name, 'continue.json'), 'utf8')) as Continuation;
    const model = mlp();
    const optimizer = makeOptimizer(spec.optimizer, model, {});
    loadModel(model, join(fixtures, name, 'model.safetensors'));
    loadOptimizer(optimizer, join(fixtures, name, 'optimizer.safetensors'));
    const theirs = decodeSafetensors(readFileSync(join(fixtures, name, 'optimizer.safetensors')), 'pytorch');
    const ours = decodeSafetensors(saveOptimizerBytes(optimizer, { model }), 'descent');
    expect(Object.keys(ours.metadata).sort()).toEqual(Object.keys(theirs.metadata).sort());
    expect([ours.metadata.format, ours.metadata.optimizer]).toEqual([theirs.metadata.format, theirs.metadata.optimizer]);
    expect(JSON.parse(ours.metadata.param_names!)).toEqual(JSON.parse(theirs.metadata.param_names!));
    // PyTorch ≥ 2.6 writes `param_names` in a group too when the optimizer was built from named parameters, as this one was.
    const groups = (JSON.parse(ours.metadata.param_groups!) as Array<Record<string, unknown>>).map(({ param_names: _, ...group }) => group);
    expect(groups).toEqual(JSON.parse(theirs.metadata.param_groups!));
    expect([...ours.tensors.keys()].sort()).toEqual([...theirs.tensors.keys()].sort());
    for (const [tensorName, tensor] of theirs.tensors) {
      const mine = ours.tensors.get(tensorName)!;
      expect([mine.dtype, mine.shape], tensorName).toEqual([tensor.dtype, tensor.shape]);
      expect(Buffer.from(mine.data.buffer, mine.data.byteOffset, mine.data.byteLength).equals(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)), tensorName).toBe(true);
    }
  });

  it('reads its own files back bit for bit, through bytes and through files', () => {
    const { model, optimizer } = trained();
    const modelBytes = saveModelBytes(model);
    const optimizerBytes = saveOptimizerBytes(optimizer, { model });
    const copy = mlp();
    const copyOptimizer = makeOptimizer('Adam', copy, { lr: 0.5 });
    loadModelBytes(copy, modelBytes);
    loadOptimizerBytes(copyOptimizer, optimizerBytes);
    expect(Buffer.compare(Buffer.from(saveModelBytes(copy)), Buffer.from(modelBytes))).toBe(0);
    expect(Buffer.compare(Buffer.from(saveOptimizerBytes(copyOptimizer, { model: copy })), Buffer.from(optimizerBytes))).toBe(0);

    saveModel(copy, join(scratch, 'model.safetensors'));
    saveOptimizer(copyOptimizer, join(scratch, 'optimizer.safetensors'), { model: copy });
    expect(Buffer.compare(readFileSync(join(scratch, 'model.safetensors')), Buffer.from(modelBytes))).toBe(0);
    expect(Buffer.compare(readFileSync(join(scratch, 'optimizer.safetensors')), Buffer.from(optimizerBytes))).toBe(0);
  });

  it('keeps L-BFGS history (lists of tensors and plain numbers) through its file', () => {
    const model = mlp();
    const lbfgs = new optim.LBFGS(model.parameters(), { lr: 0.5, historySize: 4 });
    const x = new Tensor(Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)), [8, 4]);
    const y = new Tensor(Float32Array.from([0, 1, 2, 0, 1, 2, 0, 1]), [8]);
    const closure = (): Tensor => {
      lbfgs.zeroGrad();
      const loss = F.crossEntropy(model.call(x) as Tensor, y);
      loss.backward();
      return loss;
    };
    lbfgs.step(closure);
    lbfgs.step(closure);
    const bytes = saveOptimizerBytes(lbfgs);
    const file = decodeSafetensors(bytes, 'lbfgs');
    expect([...file.tensors.keys()].some((n) => /^state\.0\.old_dirs\.\d+$/.test(n))).toBe(true);
    expect(JSON.parse(file.metadata.state!)['0']).toHaveProperty('n_iter');
    const twin = new optim.LBFGS(mlp().parameters(), { lr: 0.5, historySize: 4 });
    loadOptimizerBytes(twin, bytes);
    expect(twin.stateDict()).toEqual(lbfgs.stateDict());
  });
});

describe('files that belong to something else are refused, and nothing changes', () => {
  function snapshot(model: nn.Module, optimizer: StatefulOptimizer): string {
    return JSON.stringify([model.stateDict(), optimizer.stateDict()]);
  }

  it('refuses another optimizer’s state, a model of another shape, and a file that is not a state dict', () => {
    const fixture = (file: string): Uint8Array => readFileSync(join(fixtures, 'adam_amsgrad', file));
    const model = mlp();
    const sgd = makeOptimizer('SGD', model, { lr: 0.1, momentum: 0.9 });
    const before = snapshot(model, sgd);
    expect(() => loadOptimizerBytes(sgd, fixture('optimizer.safetensors'), 'adam.safetensors')).toThrow(/^adam\.safetensors: it holds Adam state, but the optimizer is SGD$/);
    const wide = new nn.Sequential(new nn.Linear(4, 9), new nn.ReLU(), new nn.Linear(9, 3));
    const wideBefore = JSON.stringify(wide.stateDict());
    expect(() => loadModelBytes(wide, fixture('model.safetensors'), 'm.safetensors')).toThrow(/^m\.safetensors: the model does not match: .*'0\.weight': shape \[8, 4\] does not match the parameter's shape \[9, 4\]/);
    expect(JSON.stringify(wide.stateDict())).toBe(wideBefore);
    expect(() => loadOptimizerBytes(sgd, fixture('model.safetensors'), 'm.safetensors')).toThrow(/m\.safetensors: not an optimizer state dict \(__metadata__\.format is undefined/);
    expect(snapshot(model, sgd)).toBe(before);
  });

  it('refuses tensors named off the layout, duplicate index spellings, and dangling list references', () => {
    const model = mlp();
    const adam = makeOptimizer('Adam', model, { lr: 0.01, amsgrad: true });
    const good = decodeSafetensors(readFileSync(join(fixtures, 'adam_amsgrad', 'optimizer.safetensors')), 'fixture');
    const rewrite = (rename: (name: string) => string, metadata: Record<string, string> = {}): Uint8Array =>
      encodeSafetensors([...good.tensors].map(([n, t]) => [rename(n), t]), { ...good.metadata, ...metadata });
    const before = snapshot(model, adam);
    expect(() => loadOptimizerBytes(adam, rewrite((n) => n.replace('state.1.', 'state.01.')), 'bad')).toThrow(/bad: tensor 'state\.01\.exp_avg' is not named state\.<index>\.<key>/);
    expect(() => loadOptimizerBytes(adam, rewrite((n) => n.replace('state.1.exp_avg_sq', 'exp_avg_sq.1')), 'bad')).toThrow(/bad: tensor 'exp_avg_sq\.1' is not named/);
    expect(() => loadOptimizerBytes(adam, rewrite((n) => n, { state: '{"0": {"old": {"tensor": "state.0.nowhere.0"}}}' }), 'bad')).toThrow(/bad: state\['0'\]\.old refers to tensor "state\.0\.nowhere\.0", which is not in the file/);
    expect(() => loadOptimizerBytes(adam, rewrite((n) => n, { param_groups: '[{"lr": 0.01,' }), 'bad')).toThrow(/bad: __metadata__\.param_groups is not JSON/);
    expect(() => loadOptimizerBytes(adam, rewrite((n) => n, { state: '{"0": {"exp_avg": 1}}' }), 'bad')).toThrow(/bad: state entry 0\.exp_avg is both a tensor and a value/);
    expect(() => loadOptimizerBytes(adam, rewrite((n) => n.replace('state.1.exp_avg_sq', 'state.1.__proto__')), 'bad')).toThrow(/bad: .*unexpected state entry '__proto__'/);
    expect(snapshot(model, adam)).toBe(before);
  });

  it('refuses a model whose parameters have other names, and a NaN in a moment, naming the field', () => {
    const bytes = readFileSync(join(fixtures, 'adamw', 'optimizer.safetensors'));
    class Net extends nn.Module {
      fc1 = new nn.Linear(4, 8);
      fc2 = new nn.Linear(8, 3);
      forward(x: Tensor): Tensor {
        return this.fc2.call(this.fc1.call(x).relu());
      }
    }
    const net = new Net();
    const renamed = makeOptimizer('AdamW', net, { lr: 0.1 });
    const before = snapshot(net, renamed);
    expect(() => loadOptimizerBytes(renamed, bytes, 'adamw.safetensors')).toThrow(/^adamw\.safetensors: .*names do not match .*not here: '0\.weight'.*not in the state dict: 'fc1\.weight'/);
    expect(snapshot(net, renamed)).toBe(before);

    const file = decodeSafetensors(bytes, 'fixture');
    const poisoned = [...file.tensors].map(([name, t]): [string, { shape: readonly number[]; data: Float32Array }] => [
      name,
      { shape: t.shape, data: Float32Array.from(t.data, (v, i) => (name === 'state.2.exp_avg_sq' && i === 3 ? NaN : v)) },
    ]);
    const model = mlp();
    const adamw = makeOptimizer('AdamW', model, { lr: 0.1 });
    const clean = snapshot(model, adamw);
    expect(() => loadOptimizerBytes(adamw, encodeSafetensors(poisoned, file.metadata), 'nan.safetensors')).toThrow(/^nan\.safetensors: .*state\['2'\] \('2\.weight'\): 'exp_avg_sq' holds NaN at element 3/);
    expect(snapshot(model, adamw)).toBe(clean);
  });
});

describe('an optimizer built without names loads by position', () => {
  it('adamw: model.parameters() takes the fixture and reaches PyTorch’s numbers', () => {
    const spec = JSON.parse(readFileSync(join(fixtures, 'adamw', 'continue.json'), 'utf8')) as Continuation;
    const model = mlp();
    const adamw = new optim.AdamW(model.parameters(), { lr: 0.5 });
    loadModel(model, join(fixtures, 'adamw', 'model.safetensors'));
    loadOptimizer(adamw, join(fixtures, 'adamw', 'optimizer.safetensors'));
    expect(adamw.paramGroups[0]!.lr).toBe(0.01);
    const losses = train(model, adamw, new Tensor(Float32Array.from(spec.X.flat()), [spec.X.length, 4]), new Tensor(Float32Array.from(spec.y), [spec.y.length]), 5);
    expect(closeness(losses, spec.losses_after_load, { rtol: 1e-6, atol: 0 }).ok, `${losses}`).toBe(true);
  });
});

describe('buffers cross over with the parameters', () => {
  it("loads a PyTorch model with BatchNorm (running statistics, int64 num_batches_tracked) and computes PyTorch's eval output", () => {
    const dir = resolve(import.meta.dirname, 'fixtures', 'torch-buffers');
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { x: number[]; eval_output: number[]; keys: string[]; num_batches_tracked: number };
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Flatten(), new nn.Linear(2 * 4 * 4, 3));
    expect(Object.keys(model.stateDict())).toEqual(expected.keys);
    loadModel(model, join(dir, 'model.safetensors'));
    const batchNorm = (model as unknown as Record<string, nn.Module>)['1']!;
    expect(batchNorm.getBuffer('num_batches_tracked')!.item()).toBe(expected.num_batches_tracked);
    model.eval();
    const out = model.call(new Tensor(Float32Array.from(expected.x), [2, 1, 6, 6]));
    const c = closeness(out.data, expected.eval_output, { rtol: 1e-5, atol: 1e-6 });
    expect(c.ok, `eval output off by ${c.maxAbsError}`).toBe(true);
    // And back: descent's file holds the buffers under the same names.
    const names = [...decodeSafetensors(saveModelBytes(model), 'model.safetensors').tensors.keys()].sort();
    expect(names).toEqual([...expected.keys].sort());
  });
});

/**
 * The training loop: metrics, schedulers, early stopping, progress, and checkpoints that
 * resume bit-identically or are refused without changing anything.
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Generator, Tensor, defaultGenerator, manualSeed, randn, tensor } from '../src/tensor/index.js';
import { Dropout, Linear, Module } from '../src/nn/index.js';
import { crossEntropy } from '../src/nn/functional.js';
import { DataLoader, TensorDataset } from '../src/data/index.js';
import { SGD } from '../src/optim/sgd.js';
import { Adam } from '../src/optim/adam.js';
import { OneCycleLR, ReduceLROnPlateau } from '../src/schedulers/index.js';
import { CheckpointError, accuracy, decodeCheckpoint, encodeCheckpoint, fit, loadCheckpoint, type FitOptions } from '../src/train/index.js';
import { encodeSafetensors } from '../src/io/safetensors.js';

const scratch = mkdtempSync(join(tmpdir(), 'descent-fit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshFolder = (): string => join(scratch, `run-${folders++}`);
/** Written by fit's version 1 format (JSON) after 2 epochs of `buildRun(11, 2)`. */
const version1 = resolve(import.meta.dirname, 'fixtures', 'checkpoint-v1', 'checkpoint-0002.json');

/** A quiet progress sink that remembers what was written. */
function sink(isTTY = false): { write(text: string): void; isTTY: boolean; text: string } {
  return {
    isTTY,
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

class Classifier extends Module {
  fc1: Linear;
  drop = new Dropout(0.2); // draws from the default generator: its state must be checkpointed
  fc2: Linear;
  constructor(hidden = 8) {
    super();
    this.fc1 = new Linear(2, hidden);
    this.fc2 = new Linear(hidden, 3);
  }
  forward(x: Tensor): Tensor {
    return this.fc2.call(this.drop.call(this.fc1.call(x).relu()));
  }
}

/** Three Gaussian blobs in the plane, 30 points each. */
function blobs(seed: number): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const noise = randn([90, 2], { generator: g });
  const centers = [[2, 0], [-1, 1.7], [-1, -1.7]];
  const labels: number[] = [];
  for (let i = 0; i < 90; i++) {
    const c = i % 3;
    noise.data[2 * i]! += centers[c]![0]!;
    noise.data[2 * i + 1]! += centers[c]![1]!;
    labels.push(c);
  }
  return { x: noise, y: tensor(labels) };
}

const data = blobs(5);
const validationData = blobs(6);

interface Run {
  model: Classifier;
  optimizer: Adam;
  scheduler: OneCycleLR | undefined;
  options: FitOptions;
}

/** Everything a run needs, built from seeds (different seeds stand for a fresh process). */
function buildRun(seed: number, epochs: number, { hidden = 8, oneCycle = true }: { hidden?: number; oneCycle?: boolean } = {}): Run {
  manualSeed(seed);
  const model = new Classifier(hidden);
  const optimizer = new Adam(model.namedParameters(), { lr: 0.02, weightDecay: 1e-4 });
  const train = new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 16, shuffle: true, generator: new Generator(seed + 100) });
  const validation = new DataLoader(new TensorDataset(validationData.x, validationData.y), { batchSize: 32 });
  const scheduler = oneCycle ? new OneCycleLR(optimizer, { maxLr: 0.05, epochs: 4, stepsPerEpoch: train.length }) : undefined;
  const options: FitOptions = {
    optimizer,
    scheduler,
    schedulerStep: 'batch',
    train,
    validation,
    epochs,
    lossFn: (output, target: Tensor) => crossEntropy(output, target),
    metrics: { accuracy },
    progress: 'none',
  };
  return { model, optimizer, scheduler, options };
}

function parameterBytes(model: Module): Buffer {
  return Buffer.concat(model.parameters().map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)));
}

/** Everything resumable about a run, for "nothing changed" checks. */
function snapshot(run: Run): string {
  return JSON.stringify({
    weights: parameterBytes(run.model).toString('base64'),
    optimizer: run.optimizer.stateDict(),
    scheduler: run.scheduler?.stateDict() ?? null,
    lr: run.optimizer.paramGroups.map((g) => [g.lr, g.betas]),
    rng: [defaultGenerator.getState(), (run.options.train as DataLoader).generator.getState()],
  });
}

describe('fit', () => {
  it('trains: loss falls, metrics and validation values are logged per epoch', async () => {
    const run = buildRun(1, 12, { oneCycle: false });
    const result = await fit(run.model, run.options);
    expect(result.history).toHaveLength(12);
    expect(result.epochs).toBe(12);
    expect(Object.keys(result.history[0]!.values)).toEqual(['loss', 'accuracy', 'valLoss', 'valAccuracy']);
    expect(result.history[11]!.values.loss).toBeLessThan(result.history[0]!.values.loss!);
    expect(result.history[11]!.values.valAccuracy).toBeGreaterThan(0.9);
  });

  it('resumes bit-identically: 4 epochs straight = 2 epochs + checkpoint + fresh objects + 2 epochs', async () => {
    const straight = buildRun(1, 4);
    const straightResult = await fit(straight.model, straight.options);

    const first = buildRun(1, 2);
    const dir = freshFolder();
    const firstResult = await fit(first.model, { ...first.options, checkpoint: { dir } });
    expect(firstResult.checkpoint).toBe(join(dir, 'checkpoint-0002.safetensors'));

    // Fresh objects with other seeds: other initial weights, other shuffles, other dropout masks.
    const resumed = buildRun(999, 4);
    expect(parameterBytes(resumed.model).equals(parameterBytes(first.model))).toBe(false);
    const resumedResult = await fit(resumed.model, { ...resumed.options, resume: firstResult.checkpoint! });

    expect(parameterBytes(resumed.model).equals(parameterBytes(straight.model))).toBe(true);
    expect(resumed.optimizer.stateDict()).toEqual(straight.optimizer.stateDict());
    expect(resumed.scheduler!.stateDict()).toEqual(straight.scheduler!.stateDict());
    expect(resumedResult.history.map((h) => h.values)).toEqual(straightResult.history.map((h) => h.values));
    expect(resumedResult.epochs).toBe(4);
  });

  it('writes checkpoints atomically: only finished files remain, each verified by its checksum', async () => {
    const run = buildRun(2, 3);
    const dir = freshFolder();
    await fit(run.model, { ...run.options, checkpoint: { dir, every: 2 } });
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-0002.safetensors', 'checkpoint-0003.safetensors']);
    const payload = loadCheckpoint(join(dir, 'checkpoint-0003.safetensors')) as { epoch: number; optimizer: { name: string } };
    expect(payload.epoch).toBe(3);
    expect(payload.optimizer.name).toBe('Adam');
    // Resuming from the folder picks the newest checkpoint: all 3 epochs are done.
    const again = buildRun(2, 3);
    const result = await fit(again.model, { ...again.options, resume: dir });
    expect(result.epochs).toBe(3);
    expect(result.history).toHaveLength(3);
    expect(parameterBytes(again.model).equals(parameterBytes(run.model))).toBe(true);
  });

  it('round-trips −0, NaN and ±Infinity exactly', () => {
    const values = [-0, 0, NaN, Infinity, -Infinity, 1.5e-45, 3.4028234663852886e38];
    const decoded = decodeCheckpoint(encodeCheckpoint({ values })) as { values: number[] };
    expect(decoded.values.map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(values.map((v) => (Object.is(v, -0) ? '-0' : String(v))));
  });

  it('resumes bit-identically from a version 1 (JSON) checkpoint, the newest in its folder', async () => {
    const straight = buildRun(11, 4);
    await fit(straight.model, straight.options);
    const dir = freshFolder();
    const older = buildRun(11, 1);
    await fit(older.model, { ...older.options, checkpoint: { dir } });
    copyFileSync(version1, join(dir, 'checkpoint-0002.json'));
    const resumed = buildRun(999, 4);
    const epochsRun: number[] = [];
    const result = await fit(resumed.model, { ...resumed.options, resume: dir, callbacks: { onEpochEnd: (log) => void epochsRun.push(log.epoch) } });
    expect(epochsRun).toEqual([3, 4]);
    expect(result.history).toHaveLength(4);
    expect(parameterBytes(resumed.model).equals(parameterBytes(straight.model))).toBe(true);
    expect(resumed.optimizer.stateDict()).toEqual(straight.optimizer.stateDict());
  });

  it('keeps the newest keepLast checkpoints (default 3)', async () => {
    const dir = freshFolder();
    const run = buildRun(12, 5, { oneCycle: false });
    await fit(run.model, { ...run.options, checkpoint: { dir } });
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-0003.safetensors', 'checkpoint-0004.safetensors', 'checkpoint-0005.safetensors']);
    const two = freshFolder();
    await fit(buildRun(12, 5, { oneCycle: false }).model, { ...buildRun(12, 5, { oneCycle: false }).options, checkpoint: { dir: two, keepLast: 2 } });
    expect(readdirSync(two).sort()).toEqual(['checkpoint-0004.safetensors', 'checkpoint-0005.safetensors']);
    const run3 = buildRun(12, 5, { oneCycle: false });
    await expect(fit(run3.model, { ...run3.options, checkpoint: { dir, keepLast: 0 } })).rejects.toThrow(/checkpoint\.keepLast must be a positive integer or Infinity, got 0/);
  });

  it('removes temporary files an interrupted run left, keeping those of live writers and other files', async () => {
    const dir = freshFolder();
    mkdirSync(dir);
    const orphan = 'checkpoint-0001.safetensors.tmp-999999999-1700000000000';
    const live = `checkpoint-0001.safetensors.tmp-${process.ppid}-1700000000000`;
    const foreign = 'notes.txt.tmp-999999999-1700000000000';
    for (const name of [orphan, live, foreign]) writeFileSync(join(dir, name), 'partial');
    const run = buildRun(13, 1, { oneCycle: false });
    await fit(run.model, { ...run.options, checkpoint: { dir } });
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-0001.safetensors', live, foreign].sort());
  });

  it('checks checkpoint.dir before training: a path under a file is refused and nothing runs', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a folder');
    const run = buildRun(14, 2, { oneCycle: false });
    const before = snapshot(run);
    const onEpochEnd = vi.fn();
    await expect(fit(run.model, { ...run.options, checkpoint: { dir: join(file, 'sub') }, callbacks: { onEpochEnd } })).rejects.toThrow(
      /fit: checkpoint\.dir .*a-file\/sub cannot hold checkpoints \(.*ENOTDIR/,
    );
    expect(onEpochEnd).not.toHaveBeenCalled();
    expect(snapshot(run)).toBe(before);
  });

  // Node's recursive mkdir retries forever where /proc refuses a new folder.
  it.skipIf(!existsSync('/proc/self'))('refuses /proc/x as checkpoint.dir at once, where a recursive mkdir would spin', async () => {
    const run = buildRun(14, 1, { oneCycle: false });
    const started = Date.now();
    await expect(fit(run.model, { ...run.options, checkpoint: { dir: '/proc/x/run' } })).rejects.toThrow(/fit: checkpoint\.dir \/proc\/x\/run cannot hold checkpoints \(ENOENT.*mkdir '\/proc\/x'/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a 6 GB file as a checkpoint after reading its header', () => {
    const before = process.memoryUsage().rss;
    for (const [name, prefix] of [
      ['huge.safetensors', Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 0x7b])],
      ['huge.json', Buffer.from('{"format":"descent-checkpoint","version":1,"bytes":12,"sha256":"00"}\n')],
    ] as const) {
      const path = join(scratch, name);
      const fd = openSync(path, 'w');
      writeSync(fd, prefix);
      ftruncateSync(fd, 6 * 2 ** 30);
      closeSync(fd);
      expect(() => loadCheckpoint(path)).toThrow(CheckpointError);
      expect(() => loadCheckpoint(path)).toThrow(/not a valid safetensors file|truncated or appended to/);
      rmSync(path);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });

  it('refuses a sealed file that is not a checkpoint, of another version, or whose tensors and JSON disagree', () => {
    const tensor = { shape: [2], data: new Float32Array([1, 2]) };
    const sealed = (metadata: Record<string, string>, tensors: Array<[string, typeof tensor]> = [['model.w', tensor]]): Uint8Array => encodeSafetensors(tensors, metadata, { seal: true });
    const good = { format: 'descent-checkpoint', version: '2', checkpoint: '{"model": {"w": {"tensor": "model.w"}}}' };
    expect(decodeCheckpoint(sealed(good), 'ok')).toEqual({ model: { w: { shape: [2], data: [1, 2] } } });
    expect(() => decodeCheckpoint(sealed({ ...good, format: 'other' }), 'cp')).toThrow(/^cp: not a descent checkpoint \(format "other"\)$/);
    expect(() => decodeCheckpoint(sealed({ ...good, version: '3' }), 'cp')).toThrow(/^cp: checkpoint version 3 is not supported/);
    expect(() => decodeCheckpoint(sealed({ ...good, checkpoint: '{"model": {"w": {"tensor": "model.v"}}}' }), 'cp')).toThrow(/^cp: checkpoint\.model\.w refers to tensor "model\.v", which is not in the file/);
    expect(() => decodeCheckpoint(sealed({ ...good, checkpoint: '{"model": {}}' }), 'cp')).toThrow(/^cp: tensor\(s\) model\.w belong to nothing in the checkpoint/);
    expect(() => decodeCheckpoint(sealed({ ...good, checkpoint: '{"model": ' }), 'cp')).toThrow(/^cp: __metadata__\.checkpoint is not valid JSON/);
    expect(() => decodeCheckpoint(encodeSafetensors([['model.w', tensor]], good), 'cp')).toThrow(/^cp: the file carries no checksum/);
  });

  it('encodes and decodes checkpoints without Node (no Buffer, no node:crypto), as a browser would', () => {
    const run = buildRun(15, 1, { oneCycle: false });
    const payload = { format: 'descent-checkpoint', epoch: 1, model: run.model.stateDict(), optimizer: { name: 'Adam', state: run.optimizer.stateDict() } };
    const withNode = encodeCheckpoint(payload);
    vi.stubGlobal('Buffer', undefined);
    vi.stubGlobal('process', { ...process, getBuiltinModule: undefined });
    try {
      const bytes = encodeCheckpoint(payload);
      expect(bytes).toEqual(withNode);
      expect(decodeCheckpoint(bytes)).toEqual(payload);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  describe('refuses a bad checkpoint and changes nothing', () => {
    let checkpoint = '';
    const goodCheckpoint = async (): Promise<string> => {
      if (checkpoint) return checkpoint;
      const run = buildRun(3, 1);
      const result = await fit(run.model, { ...run.options, checkpoint: { dir: freshFolder() } });
      checkpoint = result.checkpoint!;
      return checkpoint;
    };

    async function expectRefused(resume: string, run: Run, message: RegExp): Promise<void> {
      const before = snapshot(run);
      await expect(fit(run.model, { ...run.options, resume })).rejects.toThrow(message);
      expect(snapshot(run)).toBe(before);
    }

    it('a flipped byte: checksum mismatch', async () => {
      const bytes = readFileSync(await goodCheckpoint());
      bytes[bytes.length - 10] ^= 0x01;
      const path = join(scratch, 'flipped.json');
      writeFileSync(path, bytes);
      expect(() => loadCheckpoint(path)).toThrow(CheckpointError);
      await expectRefused(path, buildRun(4, 2), /checksum mismatch .* the file is corrupted/);
    });

    it('a truncated file, and one with bytes appended', async () => {
      const bytes = readFileSync(await goodCheckpoint());
      const path = join(scratch, 'truncated.safetensors');
      writeFileSync(path, bytes.subarray(0, bytes.length - 100));
      await expectRefused(path, buildRun(4, 2), /truncated\.safetensors: not a valid safetensors file \(tensor '.*' ends at byte \d+, past the \d+ bytes of data/);
      writeFileSync(path, Buffer.concat([bytes, Buffer.from('junk')]));
      await expectRefused(path, buildRun(4, 2), /4 bytes after the last tensor belong to no tensor \(trailing data\)/);
    });

    it('a version 1 file cut short', async () => {
      const bytes = readFileSync(version1);
      const path = join(scratch, 'truncated.json');
      writeFileSync(path, bytes.subarray(0, bytes.length - 100));
      await expectRefused(path, buildRun(11, 4), /truncated or appended to/);
    });

    it('truncated JSON under a consistent header', async () => {
      const text = readFileSync(await goodCheckpoint(), 'utf8');
      const body = Buffer.from(text.slice(text.indexOf('\n') + 1, text.length - 50), 'utf8');
      const header = { format: 'descent-checkpoint', version: 1, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
      const path = join(scratch, 'bad-json.json');
      writeFileSync(path, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), body]));
      await expectRefused(path, buildRun(4, 2), /the payload is not valid JSON/);
    });

    it('a model of other shapes', async () => {
      await expectRefused(await goodCheckpoint(), buildRun(4, 2, { hidden: 16 }), /the model does not match: .*'fc1.weight'/);
    });

    it('another kind of optimizer', async () => {
      const run = buildRun(4, 2);
      const sgd = new SGD(run.model.namedParameters(), { lr: 0.1, momentum: 0.9 });
      const before = parameterBytes(run.model);
      await expect(fit(run.model, { ...run.options, optimizer: sgd, scheduler: undefined, resume: await goodCheckpoint() })).rejects.toThrow(
        /it holds Adam optimizer state, but the optimizer is SGD/,
      );
      expect(parameterBytes(run.model).equals(before)).toBe(true);
    });

    it('an optimizer that refuses its part after the model loaded: the model is rolled back', async () => {
      const writer = buildRun(3, 1, { oneCycle: false });
      const saved = (await fit(writer.model, { ...writer.options, checkpoint: { dir: freshFolder() } })).checkpoint!;
      const run = buildRun(4, 2, { oneCycle: false });
      // Same kind, other grouping: the model state fits, the optimizer state does not.
      run.optimizer = new Adam([{ params: run.model.fc1.namedParameters() }, { params: run.model.fc2.namedParameters() }], { lr: 0.02 });
      run.options.optimizer = run.optimizer;
      await expectRefused(saved, run, /the optimizer does not match: .*1 param group\(s\), this optimizer has 2/);
    });
  });

  it('early stopping: stops after `patience` epochs without improvement', async () => {
    manualSeed(7);
    const model = new Linear(2, 3);
    const optimizer = new SGD(model.parameters(), { lr: 0 }); // nothing moves: the loss never improves
    const result = await fit(model, {
      optimizer,
      train: new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 30 }),
      epochs: 10,
      lossFn: (output, target: Tensor) => crossEntropy(output, target),
      callbacks: { earlyStopping: { monitor: 'loss', patience: 2, minDelta: 1e-6 } },
      progress: 'none',
    });
    // epoch 1 sets the best; epochs 2 and 3 do not improve on it
    expect(result.history).toHaveLength(3);
    expect(result.stoppedEarly).toBe(true);
    expect(result.bestEpoch).toBe(1);
  });

  it('ReduceLROnPlateau reads the monitored value each epoch; onEpochEnd can stop', async () => {
    manualSeed(8);
    const model = new Linear(2, 3);
    const optimizer = new SGD(model.parameters(), { lr: 0.2 });
    const seen: number[] = [];
    const result = await fit(model, {
      optimizer,
      scheduler: new ReduceLROnPlateau(optimizer, { patience: 1, factor: 0.5 }),
      schedulerMonitor: 'valFlat',
      metrics: { flat: () => 1 }, // a value that never improves: a plateau from the first epoch
      train: new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 45 }),
      validation: new DataLoader(new TensorDataset(validationData.x, validationData.y), { batchSize: 90 }),
      epochs: 10,
      lossFn: (output, target: Tensor) => crossEntropy(output, target),
      callbacks: {
        onEpochEnd: (log) => {
          seen.push(optimizer.paramGroups[0]!.lr);
          return log.epoch === 5 ? 'stop' : undefined;
        },
      },
      progress: 'none',
    });
    // epoch 1 sets best = 1; epochs 2, 3 are bad (2 > patience 1 → lr 0.1 at epoch 3); 4, 5 likewise (→ 0.05)
    expect(seen).toEqual([0.2, 0.2, 0.1, 0.1, 0.05]);
    expect(result.stoppedEarly).toBe(true);
    expect(result.history).toHaveLength(5);
  });

  it("progress: plain lines off a TTY, a '\\r' bar on one, nothing with 'none'", async () => {
    const lines = sink(false);
    const run = buildRun(9, 2, { oneCycle: false });
    await fit(run.model, { ...run.options, progress: 'auto', progressStream: lines });
    const written = lines.text.trimEnd().split('\n');
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/^epoch 1\/2 {2}loss \d\.\d+ {2}accuracy \d\.\d+ {2}valLoss \d\.\d+ {2}valAccuracy \d\.\d+ {2}lr 0\.02000 {2}\d+\.\ds$/);
    expect(lines.text).not.toContain('\r');

    const bar = sink(true);
    const barRun = buildRun(9, 2, { oneCycle: false });
    await fit(barRun.model, { ...barRun.options, progress: 'auto', progressStream: bar });
    expect(bar.text).toMatch(/\repoch 1\/2 \[#+\.*\] \d+\/6/);
    expect(bar.text.split('\n').filter((l) => l.includes('valLoss'))).toHaveLength(2);

    const none = sink(true);
    const quietRun = buildRun(9, 1, { oneCycle: false });
    await fit(quietRun.model, { ...quietRun.options, progress: 'none', progressStream: none });
    expect(none.text).toBe('');
  });

  it('names the bad option', async () => {
    const run = buildRun(10, 2);
    await expect(fit(run.model, { ...run.options, epochs: 0 })).rejects.toThrow(/fit: epochs must be a positive integer, got 0/);
    await expect(fit(run.model, { ...run.options, validation: undefined, callbacks: { earlyStopping: { monitor: 'valAccuracy' } } })).rejects.toThrow(
      /earlyStopping.monitor "valAccuracy" is not a logged value; logged: loss, accuracy/,
    );
    const plateau = new ReduceLROnPlateau(run.optimizer);
    await expect(fit(run.model, { ...run.options, scheduler: plateau, schedulerStep: 'batch' })).rejects.toThrow(/ReduceLROnPlateau reads a metric once per epoch/);
    await expect(fit(run.model, { ...run.options, progress: 'fancy' as never })).rejects.toThrow(/progress must be 'auto', 'bar', 'lines' or 'none'/);
    await expect(fit(run.model, { ...run.options, resume: join(scratch, 'missing') })).rejects.toThrow(/resume: .*missing cannot be read/);
  });
});

/**
 * Both cores: the kernel pool runs matrix products and element-wise optimizer kernels on worker
 * threads over the same shared memory. The partition depends only on the shape and the thread
 * count and each element is computed the same way on any thread, so every byte of a model
 * trained at 1, 2 or 3 threads is the same. Each test also checks that workers really ran
 * parts (`partsOnWorkers`), so a pool that quietly kept everything on the calling thread fails.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { Generator, Tensor, nn, optim, kernelReport, setThreads, threads, withThreads, MAX_THREADS } from '../src/index.js';
import { poolReport, workersServing } from '../src/wasm/pool.js';
import { splitSegments, PARALLEL_MIN_ELEMENTS } from '../src/wasm/parallel.js';
import { cutOf, wasmGemm, PARALLEL_MIN_WORK } from '../src/wasm/gemm.js';
import { linear } from '../src/tensor/linalg.js';
import { optimizerSpecs, type OptimizerSpec } from '../src/optim/registry.js';
import { bytesOf, trainBenchMlp, turn } from './helpers/threads.js';

const root = resolve(import.meta.dirname, '..');

/** Runs module code in a fresh Node process from the repository root (sources through tsx), with `env` added. */
function runProgram(lines: readonly string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lines.join('\n')], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
}

function expectSameBytes(actual: Uint8Array[], expected: Uint8Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const first = a.findIndex((byte, k) => byte !== expected[i]![k]);
    expect(first, `array ${i} differs first at byte ${first}`).toBe(-1);
  });
}

describe('setThreads / threads / DESCENT_THREADS', () => {
  it('refuses counts that are not positive integers, or more than the pool holds, naming the value', () => {
    const before = threads();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => setThreads(bad)).toThrow(new RangeError(`setThreads: the thread count must be a positive integer, got ${bad}`));
    expect(() => setThreads('2' as unknown as number)).toThrow(/positive integer, got "2"/);
    expect(() => setThreads(MAX_THREADS + 1)).toThrow(new RangeError(`setThreads: ${MAX_THREADS + 1} threads is more than descent runs (at most ${MAX_THREADS})`));
    expect(threads()).toBe(before);
    withThreads(3, () => expect(threads()).toBe(3));
    expect(threads()).toBe(before);
  });

  it('reads DESCENT_THREADS, refuses a bad one by name, and says why in kernelReport()', () => {
    const run = (value: string) => runProgram(["const d = await import('./src/index.ts');", 'console.log(JSON.stringify(d.kernelReport().threads));'], { DESCENT_THREADS: value });
    const three = run('3');
    expect(three.status, three.stderr).toBe(0);
    expect(JSON.parse(three.stdout)).toEqual({ count: 3, reason: '3 (DESCENT_THREADS)', workers: 0 });
    const cores = Math.min(availableParallelism(), MAX_THREADS);
    const unset = run('');
    expect(unset.status, unset.stderr).toBe(0);
    expect(JSON.parse(unset.stdout)).toEqual({ count: cores, reason: `${cores} (the default: every core)`, workers: 0 });
    const bad = run('two');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('DESCENT_THREADS: the thread count must be a positive integer, got "two"');
  });
});

describe('splitSegments: one table cut into per-thread tables', () => {
  /** Tables as [address, count] pairs; the memory is a plain buffer (the function reads typed arrays only). */
  function split(segments: Array<[number, number]>, parts: number): Array<Array<[number, number]>> {
    const buffer = new ArrayBuffer(4096);
    const words = new Int32Array(buffer);
    const floats = new Float32Array(buffer);
    segments.forEach(([address, count], s) => {
      words[4 * s] = address;
      words[4 * s + 1] = count;
      floats[4 * s + 2] = 0.5 + s;
    });
    const stride = 4 * (segments.length + 1);
    const entries = new Int32Array(parts);
    splitSegments(words, 0, segments.length, parts, 128, stride, entries);
    return Array.from({ length: parts }, (_, k) =>
      Array.from({ length: entries[k]! }, (_, e) => {
        const at = 128 + k * stride + 4 * e;
        // The scale travels with the piece of its segment.
        const s = segments.findIndex(([a, c]) => words[at]! >= a && words[at]! < a + 4 * Math.ceil(c / 8) * 8);
        expect(floats[at + 2]).toBe(0.5 + s);
        return [words[at]!, words[at + 1]!] as [number, number];
      }),
    );
  }

  it('cuts on whole 16-value lines, covers every padded value once, in order, and keeps the last true count', () => {
    // 100 values (padded to 104) at 1000, then 13 (padded 16) at 5000, then 7 (padded 8) at 9000: 128 padded values.
    const pieces = split([[1000, 100], [5000, 13], [9000, 7]], 3);
    // ⌈128 / 3 / 16⌉·16 = 48 values a slice: [0, 48) [48, 96) [96, 128).
    expect(pieces).toEqual([
      [[1000, 48]],
      [[1000 + 4 * 48, 48]],
      [[1000 + 4 * 96, 4], [5000, 13], [9000, 7]],
    ]);
    expect(split([[64, 1]], 2)).toEqual([[[64, 1]], []]);
  });
});

describe('results are the same bytes at 1, 2 and 3 threads', () => {
  it('the bench MLP 784-256-10 (Linear + ReLU fused) trained with Adam for a few steps: every weight and moment', async () => {
    await workersServing(3);
    const one = await trainBenchMlp(1);
    const before = poolReport().partsOnWorkers;
    const two = await trainBenchMlp(2);
    const three = await trainBenchMlp(3);
    // 784·256·128 multiply-adds per product and 203,530 params are above both thresholds.
    expect(784 * 256 * 128).toBeGreaterThanOrEqual(PARALLEL_MIN_WORK);
    expect(784 * 256 + 256 + 2570).toBeGreaterThanOrEqual(PARALLEL_MIN_ELEMENTS);
    expect(poolReport().partsOnWorkers).toBeGreaterThan(before);
    expectSameBytes(two, one);
    expectSameBytes(three, one);
  });

  it('an Adam step over one large tensor (a smaller 16M), params and both moments', async () => {
    await workersServing(3);
    const size = PARALLEL_MIN_ELEMENTS + 5;
    const stepped = async (count: number): Promise<Uint8Array[]> => {
      const rng = new Generator(1);
      const p = new Tensor(Float32Array.from({ length: size }, () => rng.normal()), [size], { requiresGrad: true });
      const adam = new optim.Adam([p], { lr: 1e-2, weightDecay: 0.1, amsgrad: true });
      for (let step = 0; step < 3; step++) {
        p.grad = new Tensor(Float32Array.from({ length: size }, () => rng.normal()), [size]);
        withThreads(count, () => adam.step());
        await turn();
      }
      const s = adam.state.get(p)!;
      return bytesOf([p.data as Float32Array, (s.exp_avg as Tensor).data as Float32Array, (s.exp_avg_sq as Tensor).data as Float32Array, (s.max_exp_avg_sq as Tensor).data as Float32Array]);
    };
    const one = await stepped(1);
    const before = poolReport().partsOnWorkers;
    const two = await stepped(2);
    const three = await stepped(3);
    expect(poolReport().partsOnWorkers).toBeGreaterThan(before);
    expectSameBytes(two, one);
    expectSameBytes(three, one);
  });

  it('every optimizer of the registry: 3 steps at 1 and at 2 threads leave the same params and state', async () => {
    await workersServing(2);
    // 2049 × 64 = 131,136 values: past the split threshold, and a matrix for Muon and Adafactor.
    const shape = [2049, 64];
    const size = shape[0]! * shape[1]!;
    expect(size).toBeGreaterThanOrEqual(PARALLEL_MIN_ELEMENTS);
    const specs = optimizerSpecs.filter((spec) => 'kernels' in spec && spec.gradients !== 'sparse');
    expect(specs.length).toBeGreaterThanOrEqual(14);
    // Drawn once: fresh normals for every optimizer and thread count would take most of the test's time.
    const rng = new Generator(5);
    const draws = [0, 1, 2, 3].map(() => Float32Array.from({ length: size }, () => rng.normal()));
    const stepped = (spec: OptimizerSpec, count: number): Uint8Array[] => {
      const p = new Tensor(draws[0]!.slice(), shape, { requiresGrad: true });
      const optimizer = spec.create([p], spec.testConfigs.quadratic.options);
      for (let step = 0; step < 3; step++) {
        p.grad = new Tensor(draws[step + 1]!.slice(), shape);
        withThreads(count, () => optimizer.step());
      }
      const state = Object.values(optimizer.state.get(p) ?? {}).filter((v): v is Tensor => v instanceof Tensor);
      return bytesOf([p, ...state].map((t) => t.data as Float32Array));
    };
    const before = poolReport().partsOnWorkers;
    for (const spec of specs) {
      const one = stepped(spec, 1);
      const two = stepped(spec, 2);
      expectSameBytes(two, one);
    }
    // Adam, SGD, RMSprop and the others with an element-wise kernel split their steps.
    expect(poolReport().partsOnWorkers - before).toBeGreaterThanOrEqual(specs.length);
  });

  it('matrix products of every transpose, with rows that are not a multiple of 4 or of the threads', async () => {
    await workersServing(3);
    const rng = new Generator(2);
    for (const [m, k, n, transA, transB] of [[130, 540, 61, false, false], [37, 900, 129, true, false], [61, 350, 200, false, true], [45, 630, 150, true, true], [16, 1100, 250, false, false]] as const) {
      expect(m * k * n).toBeGreaterThanOrEqual(PARALLEL_MIN_WORK);
      const a = Float32Array.from({ length: m * k }, () => rng.normal());
      const b = Float32Array.from({ length: k * n }, () => rng.normal());
      const start = Float32Array.from({ length: m * n }, () => rng.normal());
      // A workspace the workers have not seen yet reaches them in their event loop: let them take it first.
      withThreads(3, () => wasmGemm(a, 0, b, 0, start.slice(), 0, m, k, n, transA, transB));
      await turn();
      // C += op(A)·op(B), and the output pass C = relu(bias + op(A)·op(B)) of a layer's forward.
      const bias = Float32Array.from({ length: n }, () => rng.normal());
      for (const output of [undefined, { bias, relu: true }]) {
        const results: Uint8Array[][] = [];
        for (const count of [1, 2, 3]) {
          const c = start.slice();
          const before = poolReport().partsOnWorkers;
          withThreads(count, () => expect(wasmGemm(a, 0, b, 0, c, 0, m, k, n, transA, transB, output)).toBe(true));
          // Blocks of ⌈m4 / 4·count⌉·4 rows: 16 rows on 3 threads are two blocks of 8, one of them on a worker.
          const m4 = Math.ceil(m / 4) * 4;
          const parts = Math.ceil(m4 / (Math.ceil(m4 / 4 / count) * 4));
          expect(parts).toBe(m === 16 && count === 3 ? 2 : count);
          expect(poolReport().partsOnWorkers - before).toBe(parts - 1);
          results.push(bytesOf([c]));
          await turn();
        }
        expectSameBytes(results[1]!, results[0]!);
        expectSameBytes(results[2]!, results[0]!);
      }
    }
  });
});

describe("a layer's forward product is cut by the weight's rows (columns of its output)", () => {
  it('cuts whole 8-wide strips where B is a weight in the heap, rows otherwise, and one part below the threshold', () => {
    withThreads(3, () => {
      // 203 columns in strips of 8: 26 strips, 9 + 9 + 8 of them.
      expect(cutOf(200, 400, 203, true)).toEqual({ parts: 3, byColumns: true, size: 72 });
      expect(cutOf(200, 400, 203, false)).toEqual({ parts: 3, byColumns: false, size: 68 });
      // Too narrow to cut by strips: by rows.
      expect(cutOf(2000, 400, 10, true)).toEqual({ parts: 3, byColumns: false, size: 668 });
      expect(cutOf(20, 40, 203, true).parts).toBe(1);
    });
    withThreads(2, () => expect(cutOf(128, 784, 256, true)).toEqual({ parts: 2, byColumns: true, size: 128 }));
  });

  it('relu(x·Wᵀ + b) over an optimizer-held W of ragged width: the same bytes at 1, 2 and 3 threads, parts on workers', async () => {
    await workersServing(3);
    const rng = new Generator(8);
    for (const width of [203, 61]) {
      const layer = new nn.Linear(400, width, { generator: rng });
      const adam = new optim.Adam(layer.parameters(), { lr: 1e-3 });
      for (const p of layer.parameters()) p.grad = new Tensor(Float32Array.from({ length: p.size }, () => rng.normal()), p.shape);
      adam.step();
      const x = new Tensor(Float32Array.from({ length: 200 * 400 }, () => rng.normal()), [200, 400]);
      expect(200 * 400 * width).toBeGreaterThanOrEqual(PARALLEL_MIN_WORK);
      withThreads(3, () => linear(x, layer.weight, layer.bias, { activation: 'relu' }));
      await turn();
      const results: Uint8Array[][] = [];
      for (const count of [1, 2, 3]) {
        const before = poolReport().partsOnWorkers;
        const y = withThreads(count, () => linear(x, layer.weight, layer.bias, { activation: 'relu' }));
        expect(poolReport().partsOnWorkers - before).toBe(count - 1);
        results.push(bytesOf([y.data as Float32Array]));
      }
      expectSameBytes(results[1]!, results[0]!);
      expectSameBytes(results[2]!, results[0]!);
      // The ReLU ran: some outputs are zero, some positive.
      const y = new Float32Array(results[0]![0]!.buffer);
      expect(y.some((v) => v === 0) && y.some((v) => v > 0)).toBe(true);
    }
  });
});

describe('with relaxed SIMD, every thread runs the fused multiply-add build', () => {
  it('the bench MLP gives the same bytes at 1, 2 and 3 threads, and other bytes than the plain build', () => {
    const run = (flag: string): { matmul: string; digests: string[]; partsOnWorkers: number } => {
      const out = execFileSync(process.execPath, [flag, '--import', 'tsx', resolve(root, 'test/helpers/relaxed-threads.ts')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      return JSON.parse(out.trim().split('\n').pop()!);
    };
    const relaxed = run('--experimental-wasm-relaxed-simd');
    const plain = run('--no-experimental-wasm-relaxed-simd');
    expect(relaxed.matmul).toBe('relaxed-simd');
    expect(plain.matmul).toBe('simd');
    for (const { digests, partsOnWorkers } of [relaxed, plain]) {
      expect(partsOnWorkers).toBeGreaterThan(0);
      expect(new Set(digests).size, digests.join(' ')).toBe(1);
    }
    // Fused multiply-adds round once where the plain build rounds twice: the weights differ. So a
    // worker on the other build than the calling thread would have changed the 2- and 3-thread bytes.
    expect(relaxed.digests[0]).not.toBe(plain.digests[0]);
  });
});

describe('no lingering workers', () => {
  it('a program that trained a step on 2 threads exits by itself', () => {
    const lines = [
      "const d = await import('./src/index.ts');",
      'd.setThreads(2); d.startThreads();',
      'await new Promise((done) => setTimeout(done, 300));',
      'const rng = new d.Generator(0);',
      'const model = new d.nn.Sequential(new d.nn.Linear(784, 256, { generator: rng }), new d.nn.ReLU(), new d.nn.Linear(256, 10, { generator: rng }));',
      'const adam = new d.optim.Adam(model.parameters());',
      'const x = new d.Tensor(Float32Array.from({ length: 128 * 784 }, () => rng.normal()), [128, 784]);',
      'd.F.crossEntropy(model.call(x), new Int32Array(128)).backward();',
      'adam.step();',
      'console.log(JSON.stringify(d.kernelReport().threads));',
    ];
    const started = performance.now();
    const run = runProgram(lines);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ count: 2, reason: '2 (setThreads)', workers: 1 });
    // Loading the sources through tsx takes a few seconds on a busy machine; a worker that kept the process alive would hit the 30 s timeout.
    expect(performance.now() - started).toBeLessThan(25_000);
  });
});

describe('where memory cannot be shared', () => {
  it('runs on one thread, says so once, and kernelReport() gives the reason', () => {
    // A runtime without SharedArrayBuffer (a page that is not cross-origin isolated), imitated.
    const run = runProgram([
      'delete globalThis.SharedArrayBuffer;',
      "const d = await import('./src/index.ts');",
      'd.setThreads(2);',
      'const rng = new d.Generator(0);',
      'const a = new d.Tensor(Float32Array.from({ length: 256 * 256 }, () => rng.normal()), [256, 256]);',
      'for (let k = 0; k < 3; k++) d.matmul(a, a);',
      'console.log(JSON.stringify(d.kernelReport().threads));',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const reason = 'this runtime has no SharedArrayBuffer';
    expect(JSON.parse(run.stdout)).toEqual({ count: 1, reason: `2 asked for (setThreads), 1 runs: ${reason}`, workers: 0 });
    expect(run.stderr.match(/DescentThreads/g)).toHaveLength(1);
    expect(run.stderr).toContain(`descent: kernels run on one thread: ${reason}`);
  });
});

it('kernelReport() says how many threads run and why', () => {
  withThreads(2, () => {
    const report = kernelReport().threads;
    expect(report.count).toBe(2);
    expect(report.reason).toBe('2 (setThreads)');
  });
});

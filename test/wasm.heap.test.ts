/**
 * The WebAssembly heap: every arena and the matmul workspace are blocks of one growable shared
 * memory, so the address space descent takes does not grow with the number of param groups or
 * optimizers; blocks are reused once released; and work that cannot get a block runs in
 * JavaScript with a warning and a line in `kernelReport()`, never silently.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/tensor.js';
import { sparseRows } from '../src/tensor/sparse.js';
import { ParamArena } from '../src/optim/wasm/arena.js';
import { matmul } from '../src/tensor/index.js';
import { Adam, SGD } from '../src/optim/index.js';
import { allocate, heapLimits, heapReport, release, MAX_HEAP_BYTES } from '../src/wasm/heap.js';
import { kernelReport, withKernelBackend } from '../src/wasm/backend.js';
import { assertAllclose } from './helpers/allclose.js';

const DEFAULT_LIMIT = heapLimits.blockBytes;
afterEach(() => {
  heapLimits.blockBytes = DEFAULT_LIMIT;
});

function virtualBytes(): number | null {
  if (!existsSync('/proc/self/status')) return null;
  const match = /VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? null : Number(match[1]) * 1024;
}

function stepped(optimizerOf: (params: Tensor[][]) => { step(): unknown }, groups: number, size: number): Tensor[][] {
  const params = Array.from({ length: groups }, (_, g) => [new Tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i + g)), [size], { requiresGrad: true })]);
  const optimizer = optimizerOf(params);
  for (const p of params.flat()) p.grad = new Tensor(Float32Array.from({ length: size }, (_, i) => Math.cos(i)), [size]);
  optimizer.step();
  return params;
}

describe('one heap for every arena', () => {
  it('100 optimizers of 2 groups each open no new WebAssembly memory and take no new address space', () => {
    stepped((p) => new Adam(p.map((params) => ({ params }))), 1, 8); // the heap exists from here on
    const memories = heapReport().memories;
    const before = virtualBytes();
    const kept = Array.from({ length: 100 }, () => {
      let optimizer: Adam | null = null;
      stepped((p) => (optimizer = new Adam(p.map((params) => ({ params })), { lr: 1e-3 })), 2, 64);
      return optimizer;
    });
    expect(kept).toHaveLength(100);
    const report = heapReport();
    expect(report.mode).toBe('shared');
    expect(report.memories).toBe(memories);
    // One memory per group reserved 10 GiB of address space each in V8: 2,000 GiB here.
    if (before !== null) expect(virtualBytes()! - before).toBeLessThan(2 ** 30);
  });

  it("a dropped optimizer's block comes back once collected, unless a live param still reads from it", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    const collect = async (): Promise<void> => {
      for (let k = 0; k < 3; k++) {
        gc!();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await collect();
    release(allocate(64)); // an allocation reclaims what the collector reported
    const before = heapReport().blockBytes;
    // One optimizer dropped with its params, one dropped while its model (the param) lives on.
    stepped((p) => new Adam(p.map((params) => ({ params }))), 1, 4096);
    const kept = stepped((p) => new Adam(p.map((params) => ({ params }))), 1, 4096);
    const withBoth = heapReport().blockBytes;
    expect(withBoth).toBeGreaterThan(before + 2 * 3 * 4 * 4096);
    await collect();
    release(allocate(64));
    const keptBytes = heapReport().blockBytes - before;
    // The live model's block stays (its values are there); the other one is free again.
    expect(keptBytes).toBeGreaterThan(3 * 4 * 4096);
    expect(keptBytes).toBeLessThan(withBoth - before);
    expect(kept[0]![0]!.data.length).toBe(4096);
  });

  it('a released block is reused first-fit and merges with free neighbours', () => {
    const a = allocate(1000);
    const b = allocate(64);
    const c = allocate(64);
    expect(a.bytes).toBe(1024); // 64-byte aligned
    expect(b.address).toBe(a.address + 1024);
    release(a);
    release(b);
    // a and b merged into one free range of 1088 bytes: a 1088-byte block fits where a was.
    const d = allocate(1088);
    expect(d.address).toBe(a.address);
    // A reused block comes back zero-filled.
    new Float32Array(d.memory.buffer, d.address, 4).fill(7);
    release(d);
    const e = allocate(16);
    expect(Array.from(new Float32Array(e.memory.buffer, e.address, 4))).toEqual([0, 0, 0, 0]);
    expect(() => release(e)).not.toThrow();
    expect(() => release(e)).toThrow(/released already/);
    release(c);
    expect(() => allocate(MAX_HEAP_BYTES)).toThrow(/do not fit in one WebAssembly memory \(4 GiB at most\)/);
  });
});

describe('row-index space', () => {
  it('is reserved only for optimizers that take row-sparse gradients', () => {
    const tall = (): Tensor => new Tensor(new Float32Array(100_000), [100_000, 1], { requiresGrad: true });
    const dense = new ParamArena([tall()], { state: ['exp_avg'], sparseRows: false });
    const sparse = new ParamArena([tall()], { state: ['exp_avg'] });
    // 4 bytes of row index per row of the first dimension, 64-byte aligned.
    expect(sparse.block.bytes - dense.block.bytes).toBe(400_000);
    expect(() => dense.stageRows(0, sparseRows([1], new Tensor(new Float32Array(1), [1, 1]), [100_000, 1]))).toThrow(/built without row-index space/);
  });
});

describe('fallbacks are visible', () => {
  it('an arena no block can hold runs in JavaScript, warns once, and kernelReport says why', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    heapLimits.blockBytes = 4096;
    const fused = withKernelBackend('wasm', () => stepped((p) => new SGD(p.map((params) => ({ params })), { lr: 0.1, momentum: 0.9 }), 2, 2000));
    const plain = withKernelBackend('js', () => stepped((p) => new SGD(p.map((params) => ({ params })), { lr: 0.1, momentum: 0.9 }), 2, 2000));
    fused.flat().forEach((p, i) => assertAllclose(p.data, plain.flat()[i]!.data, { rtol: 0, atol: 0 }, `param ${i} on the JavaScript path`));
    const warnings = warn.mock.calls.filter(([message]) => /optimizer arena falls back/.test(String(message)));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]![0])).toMatch(/SGD: ParamArena: 2000 parameters with 1 state arrays need 0\.0 MiB of WebAssembly memory, which could not be had: .* do not fit in the block limit of 4096 bytes/);
    const report = kernelReport();
    expect(report.backend).toBe(withKernelBackend('auto', () => kernelReport().backend));
    const arena = report.fallbacks.find((f) => f.subject === 'optimizer arena');
    expect(arena?.count).toBeGreaterThanOrEqual(2);
    expect(arena?.reason).toMatch(/block limit of 4096 bytes/);
    warn.mockRestore();
  });

  it('a matmul whose workspace cannot be had runs in JavaScript with the same result', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const a = new Tensor(Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
    const b = new Tensor(Float32Array.from({ length: 48 * 40 }, (_, i) => Math.cos(i)), [48, 40]);
    const wasm = withKernelBackend('wasm', () => matmul(a, b));
    heapLimits.blockBytes = 4096;
    // A larger product than any before, so the workspace must grow, and cannot.
    const a2 = new Tensor(Float32Array.from({ length: 256 * 192 }, (_, i) => Math.sin(i)), [256, 192]);
    const b2 = new Tensor(Float32Array.from({ length: 192 * 160 }, (_, i) => Math.cos(i)), [192, 160]);
    const fallback = withKernelBackend('wasm', () => matmul(a2, b2));
    heapLimits.blockBytes = DEFAULT_LIMIT;
    const plain = withKernelBackend('js', () => matmul(a2, b2));
    assertAllclose(fallback.data, plain.data, { rtol: 0, atol: 0 }, 'the fallback is the JavaScript product');
    assertAllclose(wasm.data, withKernelBackend('js', () => matmul(a, b)).data, { rtol: 1e-5, atol: 1e-5 }, 'the WebAssembly product before');
    expect(kernelReport().fallbacks.find((f) => f.subject === 'matmul')?.reason).toMatch(/workspace could not be had/);
    warn.mockRestore();
  });
});

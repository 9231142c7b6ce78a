/**
 * Run in a child Node process (by test/threads.test.ts) with or without
 * --experimental-wasm-relaxed-simd: which matmul build the loader chose, a SHA-256 of the bench
 * MLP's weights and moments trained at 1, 2 and 3 threads, and how many parts workers ran.
 * Prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { kernelReport } from '../../src/index.js';
import { poolReport, workersServing } from '../../src/wasm/pool.js';
import { trainBenchMlp } from './threads.js';

await workersServing(3);
const digests: string[] = [];
for (const count of [1, 2, 3]) {
  const hash = createHash('sha256');
  for (const bytes of await trainBenchMlp(count)) hash.update(bytes);
  digests.push(hash.digest('hex'));
}
console.log(JSON.stringify({ matmul: kernelReport().matmul, digests, partsOnWorkers: poolReport().partsOnWorkers }));

/**
 * Address space that descent's WebAssembly memory takes as optimizers are created: builds
 * 1, 100 and 1,000 Adam optimizers (two param groups each, one fused step each, all kept alive)
 * and prints the process's virtual size (VmSize, Linux) after each count, with the heap's own
 * report. Run: `npx tsx scripts/address-space.ts`.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/tensor.js';
import { Adam } from '../src/optim/index.js';
import { kernelReport } from '../src/wasm/backend.js';

function virtualGiB(): number {
  const match = /VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (match === null) throw new Error('no VmSize in /proc/self/status (Linux only)');
  return Number(match[1]) / 2 ** 20;
}

const kept: Adam[] = [];
function addOptimizer(): void {
  const groups = [0, 1].map(() => [new Tensor(new Float32Array(256).fill(0.5), [16, 16], { requiresGrad: true }), new Tensor(new Float32Array(16), [16], { requiresGrad: true })]);
  const optimizer = new Adam([{ params: groups[0]! }, { params: groups[1]!, lr: 1e-4 }], { lr: 1e-3 });
  for (const p of groups.flat()) p.grad = new Tensor(new Float32Array(p.data.length).fill(0.1), [...p.shape]);
  optimizer.step();
  kept.push(optimizer);
}

const before = virtualGiB();
console.log(`before any optimizer: VmSize ${before.toFixed(2)} GiB`);
for (const target of [1, 100, 1000]) {
  while (kept.length < target) addOptimizer();
  const report = kernelReport();
  console.log(
    `${String(target).padStart(5)} optimizers (${2 * target} groups): VmSize ${virtualGiB().toFixed(2)} GiB (+${(virtualGiB() - before).toFixed(2)} GiB); ` +
      `${report.memory.memories} WebAssembly memor${report.memory.memories === 1 ? 'y' : 'ies'} (${report.memory.mode}), ${(report.memory.blockBytes / 2 ** 20).toFixed(2)} MiB in blocks; fallbacks: ${report.fallbacks.length}`,
  );
}

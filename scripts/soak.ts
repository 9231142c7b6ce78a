/**
 * `npm run soak`: memory stays flat over a long run. Two phases, each printing the resident set
 * (RSS), the JavaScript heap and descent's WebAssembly heap every 10 %:
 *   1. 10⁶ Adam steps on one model (a 64 × 16 weight and a bias, fused kernels);
 *   2. 10⁴ optimizers over fresh models (256 × 64 each), stepped once (which builds their
 *      arenas) and dropped. Their blocks of WebAssembly memory are reclaimed after the garbage
 *      collector has seen them go, which it reports between tasks: the loop yields to the event
 *      loop every 100 creations, as a program that trains does between batches or requests.
 * Not part of `npm test` (it runs for minutes). Options: `--steps N`, `--creations N`.
 */
import { Tensor } from '../src/tensor/tensor.js';
import { Adam } from '../src/optim/index.js';
import { kernelReport } from '../src/wasm/backend.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 10) throw new RangeError(`--${name} must be an integer ≥ 10, got ${process.argv[at + 1]}`);
  return value;
}

const MiB = 2 ** 20;
function report(phase: string, done: number, total: number, started: number): void {
  const { rss, heapUsed } = process.memoryUsage();
  const wasm = kernelReport().memory;
  console.log(
    `${phase} ${String(Math.round((100 * done) / total)).padStart(3)} %  ${String(done).padStart(8)}/${total}  ` +
      `RSS ${(rss / MiB).toFixed(1).padStart(7)} MiB  JS heap ${(heapUsed / MiB).toFixed(1).padStart(6)} MiB  ` +
      `WebAssembly ${wasm.memories} memor${wasm.memories === 1 ? 'y' : 'ies'}, ${(wasm.memoryBytes / MiB).toFixed(1)} MiB, ${(wasm.blockBytes / MiB).toFixed(2)} MiB in blocks  ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

function model(seed: number, rows: number, columns: number): Tensor[] {
  return [
    new Tensor(Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i + seed) / 16), [rows, columns], { requiresGrad: true }),
    new Tensor(new Float32Array(columns), [columns], { requiresGrad: true }),
  ];
}

/** A gradient that changes every step (so the moments keep moving) and is written in place. */
function setGradients(params: Tensor[], t: number): void {
  for (const p of params) {
    const grad = (p.grad as Tensor | null) ?? new Tensor(new Float32Array(p.data.length), [...p.shape]);
    const g = grad.data;
    const wave = Math.sin(0.001 * t);
    for (let i = 0; i < g.length; i++) g[i] = p.data[i]! * 0.01 + wave * ((i % 7) - 3);
    p.grad = grad;
  }
}

const steps = flag('steps', 1_000_000);
const creations = flag('creations', 10_000);

let started = performance.now();
const params = model(0, 64, 16);
const adam = new Adam(params, { lr: 1e-4 });
report('steps    ', 0, steps, started);
for (let t = 1; t <= steps; t++) {
  setGradients(params, t);
  adam.step();
  if (t % (steps / 10) === 0) report('steps    ', t, steps, started);
}
if (!params.every((p) => p.data.every(Number.isFinite))) throw new Error('soak: the parameters left the finite numbers');

started = performance.now();
report('creations', 0, creations, started);
for (let k = 1; k <= creations; k++) {
  const fresh = [model(k, 256, 64), model(k + 0.5, 256, 64)];
  const optimizer = new Adam([{ params: fresh[0]! }, { params: fresh[1]!, lr: 1e-5 }], { lr: 1e-4 });
  setGradients(fresh.flat(), k);
  optimizer.step();
  if (k % (creations / 10) === 0) report('creations', k, creations, started);
  if (k % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
}
console.log(`fallbacks to JavaScript: ${kernelReport().fallbacks.length === 0 ? 'none' : JSON.stringify(kernelReport().fallbacks)}`);

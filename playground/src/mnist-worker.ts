/**
 * The MNIST mini-race in a Web Worker, so the page stays responsive: each chosen contestant
 * trains the same MLP from the same initial weights on the same mini-batches, one step each in
 * turn, and reports its batch loss every step and its test accuracy every few steps.
 */
import { contestants, createOptimizer, crossEntropy, DIGITS, Generator, kernelBackend, mnistModel, noGrad, preloadKernels, readDigits, Tensor, type Digits } from './library.js';

export type WorkerRequest =
  | { type: 'start'; ids: string[]; seed: number; steps: number; batchSize: number; digitsUrl: string; lrs: Record<string, number> }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; backend: string; train: number; test: number }
  | { type: 'progress'; id: string; step: number; loss: number; accuracy: number | null }
  | { type: 'done' }
  | { type: 'error'; message: string };

const post = (message: WorkerMessage): void => (self as unknown as Worker).postMessage(message);

const EVALUATE_EVERY = 10;
let running = 0;
let digits: Digits | null = null;

function accuracy(model: ReturnType<typeof mnistModel>, data: Digits['test']): number {
  return noGrad(() => {
    const predicted = (model.call(data.x) as Tensor).argmax(1).data;
    let correct = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === data.y.data[i]) correct += 1;
    return correct / predicted.length;
  });
}

/** The rows of each mini-batch, drawn from one seeded permutation per epoch. */
function batchRows(seed: number, n: number, batchSize: number, steps: number): Int32Array[] {
  const generator = new Generator(seed + 7919);
  const batches: Int32Array[] = [];
  let order = generator.permutation(n);
  let at = 0;
  for (let s = 0; s < steps; s++) {
    if (at + batchSize > n) {
      order = generator.permutation(n);
      at = 0;
    }
    batches.push(order.slice(at, at + batchSize));
    at += batchSize;
  }
  return batches;
}

function gather(x: Tensor, rows: Int32Array): Tensor {
  const width = x.shape[1] ?? 1;
  const out = new Float32Array(rows.length * width);
  for (let k = 0; k < rows.length; k++) out.set(x.data.subarray(rows[k]! * width, (rows[k]! + 1) * width), k * width);
  return new Tensor(out, x.shape.length === 1 ? [rows.length] : [rows.length, width]);
}

async function race(request: Extract<WorkerRequest, { type: 'start' }>, token: number): Promise<void> {
  await preloadKernels();
  if (digits === null) {
    const response = await fetch(request.digitsUrl);
    if (!response.ok) throw new Error(`could not load the digits (${response.status} ${response.statusText})`);
    digits = readDigits(new Uint8Array(await response.arrayBuffer()));
  }
  post({ type: 'ready', backend: kernelBackend(), train: DIGITS.train, test: DIGITS.test });
  const data = digits;
  const runs = request.ids.map((id) => {
    const contestant = contestants.find((c) => c.id === id);
    if (!contestant) throw new Error(`unknown optimizer ${JSON.stringify(id)}`);
    const model = mnistModel(request.seed);
    const lr = request.lrs[id];
    const optimizer = createOptimizer(contestant, model.parameters(), lr === undefined ? {} : { lr }, {});
    return { id, model, optimizer, stopped: false };
  });
  const batches = batchRows(request.seed, DIGITS.train, request.batchSize, request.steps);
  for (let step = 1; step <= request.steps; step++) {
    if (token !== running) return;
    const x = gather(data.train.x, batches[step - 1]!);
    const y = gather(data.train.y, batches[step - 1]!);
    for (const run of runs) {
      if (run.stopped) continue;
      const closure = (): number => {
        run.optimizer.zeroGrad();
        const loss = crossEntropy(run.model.call(x) as Tensor, y);
        loss.backward();
        return loss.item();
      };
      const loss = Number(run.optimizer.step(closure));
      run.stopped = !Number.isFinite(loss);
      const evaluate = step % EVALUATE_EVERY === 0 || step === 1 || run.stopped;
      post({ type: 'progress', id: run.id, step, loss, accuracy: evaluate && !run.stopped ? accuracy(run.model, data.test) : null });
    }
    // Let a 'stop' message in between steps.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  post({ type: 'done' });
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  running += 1;
  if (request.type === 'stop') return;
  race(request, running).catch((error: unknown) => post({ type: 'error', message: (error as Error).message ?? String(error) }));
};

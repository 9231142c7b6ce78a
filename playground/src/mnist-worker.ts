/**
 * The MNIST mini-race in a Web Worker, so the page stays responsive: each chosen contestant
 * trains the same MLP from the same initial weights on the same mini-batches, one step each in
 * turn, and reports its batch loss every step and its test accuracy every few steps.
 */
import { contestants, crossEntropy, DataLoader, endlessBatches, evaluate, Generator, kernelBackend, mnistTaskFrom, preloadKernels, Tensor, TensorDataset, type MnistTask } from './library.js';

export type WorkerRequest =
  | { type: 'start'; ids: string[]; seed: number; steps: number; batchSize: number; digitsUrl: string; lrs: Record<string, number> }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; backend: string; description: string }
  | { type: 'progress'; id: string; step: number; loss: number; accuracy: number | null }
  | { type: 'done' }
  | { type: 'error'; message: string };

const post = (message: WorkerMessage): void => (self as unknown as Worker).postMessage(message);

const EVALUATE_EVERY = 10;
let running = 0;
let task: MnistTask | null = null;

async function race(request: Extract<WorkerRequest, { type: 'start' }>, token: number): Promise<void> {
  await preloadKernels();
  if (task === null) {
    const response = await fetch(request.digitsUrl);
    if (!response.ok) throw new Error(`could not load the digits (${response.status} ${response.statusText})`);
    task = mnistTaskFrom(new Uint8Array(await response.arrayBuffer()));
  }
  post({ type: 'ready', backend: kernelBackend(), description: task.description });
  const { train, test } = task;
  const runs = request.ids.map((id) => {
    const contestant = contestants.find((c) => c.id === id);
    if (!contestant) throw new Error(`unknown optimizer ${JSON.stringify(id)}`);
    // The race's model and batch order for this seed (as its trainClassifier draws them).
    const model = task!.buildModel(new Generator(request.seed));
    const lr = request.lrs[id];
    const optimizer = contestant.create(model.parameters(), lr === undefined ? {} : { lr }, {});
    return { id, model, optimizer, stopped: false };
  });
  const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: request.batchSize, shuffle: true, dropLast: true, generator: new Generator(request.seed + 7919) });
  const batches = endlessBatches(loader);
  for (let step = 1; step <= request.steps; step++) {
    if (token !== running) return;
    const [x, y] = batches.next().value as [Tensor, Tensor];
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
      const measure = step % EVALUATE_EVERY === 0 || step === 1;
      post({ type: 'progress', id: run.id, step, loss, accuracy: measure && !run.stopped ? evaluate(run.model, test).accuracy : null });
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

/**
 * The MNIST tab: pick 3–5 contestants, start the worker, draw its loss and accuracy curves.
 */
import { contestants, DIGITS, MNIST_HIDDEN } from './library.js';
import { drawChart } from './charts.js';
import type { WorkerMessage, WorkerRequest } from './mnist-worker.js';

/** Learning rates for the digits, one per contestant (the surfaces' presets are for 2-D). */
const MNIST_LRS: Readonly<Record<string, number>> = {
  sgd: 0.1, momentum: 0.05, nesterov: 0.05, adagrad: 0.05, rmsprop: 0.002, adadelta: 1, adam: 0.003, adamw: 0.003, adamax: 0.005, nadam: 0.003, radam: 0.003, lamb: 0.01, lars: 1, lbfgs: 0.1, lookahead: 0.003, sam: 0.05,
};
const MIN_CHOSEN = 3;
const MAX_CHOSEN = 5;
const STEPS = 300;
const BATCH = 32;

export class MnistPanel {
  private worker: Worker | null = null;
  /** Per contestant: batch loss per step, test accuracy per evaluated step. */
  readonly curves = new Map<string, { loss: number[]; accuracy: number[] }>();
  status = 'idle';

  constructor(private readonly digitsUrl: string) {
    const list = document.getElementById('mnist-choices')!;
    for (const c of contestants) {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = c.id;
      box.checked = ['sgd', 'momentum', 'adam'].includes(c.id);
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = c.colour;
      label.append(box, swatch, document.createTextNode(`${c.label} (lr ${MNIST_LRS[c.id]})`));
      list.append(label);
    }
    document.getElementById('mnist-about')!.textContent = `An MLP ${DIGITS.side * DIGITS.side}–${MNIST_HIDDEN}–10 (ReLU) trained on ${DIGITS.train} digits at ${DIGITS.side}×${DIGITS.side} px (the first ${DIGITS.train + DIGITS.test} of the bundled 10,000, averaged 2×2), tested on the next ${DIGITS.test}; ${STEPS} steps of batch ${BATCH}, the same initial weights and batches for each optimizer.`;
    document.getElementById('mnist-start')!.addEventListener('click', () => this.start());
    document.getElementById('mnist-stop')!.addEventListener('click', () => this.stop());
  }

  chosen(): string[] {
    return [...document.querySelectorAll<HTMLInputElement>('#mnist-choices input:checked')].map((b) => b.value);
  }

  start(): void {
    const ids = this.chosen();
    if (ids.length < MIN_CHOSEN || ids.length > MAX_CHOSEN) {
      this.setStatus(`choose ${MIN_CHOSEN} to ${MAX_CHOSEN} optimizers (${ids.length} chosen)`);
      return;
    }
    this.stop();
    this.curves.clear();
    for (const id of ids) this.curves.set(id, { loss: [], accuracy: [] });
    this.worker = new Worker(new URL('./mnist-worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<WorkerMessage>) => this.receive(event.data);
    this.worker.onerror = (event) => this.setStatus(`the worker failed: ${event.message}`);
    const request: WorkerRequest = { type: 'start', ids, seed: 0, steps: STEPS, batchSize: BATCH, digitsUrl: this.digitsUrl, lrs: { ...MNIST_LRS } };
    this.worker.postMessage(request);
    this.setStatus('loading the digits…');
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.status.startsWith('training')) this.setStatus('stopped');
  }

  private setStatus(text: string): void {
    this.status = text;
    document.getElementById('mnist-status')!.textContent = text;
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.setStatus(`training (kernels: ${message.backend})`);
        break;
      case 'progress': {
        const curve = this.curves.get(message.id)!;
        curve.loss[message.step - 1] = message.loss;
        if (message.accuracy !== null) curve.accuracy[message.step - 1] = message.accuracy;
        this.draw();
        break;
      }
      case 'done':
        this.setStatus('done');
        break;
      case 'error':
        this.setStatus(`error: ${message.message}`);
        break;
    }
  }

  private scheduled = false;

  private draw(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const series = (pick: 'loss' | 'accuracy') =>
        [...this.curves].map(([id, curve]) => {
          const c = contestants.find((x) => x.id === id)!;
          return { label: c.label, colour: c.colour, values: Array.from({ length: curve[pick].length }, (_, i) => curve[pick][i] ?? Number.NaN) };
        });
      drawChart(document.getElementById('mnist-loss') as HTMLCanvasElement, series('loss'), { title: 'mini-batch loss (log)', log: true });
      const accuracy = series('accuracy').map((s) => ({ ...s, values: fillGaps(s.values) }));
      drawChart(document.getElementById('mnist-accuracy') as HTMLCanvasElement, accuracy, { title: `test accuracy on ${DIGITS.test} digits`, log: false, yRange: [0, 1] });
    });
  }
}

/** Accuracy is measured every few steps: carry each measurement to the next. */
function fillGaps(values: number[]): number[] {
  let last = Number.NaN;
  return values.map((v) => (Number.isFinite(v) ? (last = v) : last));
}

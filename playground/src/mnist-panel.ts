/**
 * The MNIST tab: pick 3–5 contestants, start the worker, draw its loss and accuracy curves.
 */
import { contestants, MNIST_BUDGET } from './library.js';
import { drawChart } from './charts.js';
import { swatchFor } from './controls.js';
import type { WorkerMessage, WorkerRequest } from './mnist-worker.js';

const MIN_CHOSEN = 3;
const MAX_CHOSEN = 5;
const STEPS = 300;
const BATCH = MNIST_BUDGET.batchSize;

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
      const swatch = swatchFor(c);
      label.append(box, swatch, document.createTextNode(`${c.label} (lr ${c.networkLr})`));
      list.append(label);
    }
    const { trainSize, testSize, side, hidden } = MNIST_BUDGET.mnist;
    document.getElementById('mnist-about')!.textContent = `The race's quick MNIST task: an MLP ${side * side}–${hidden.join('–')}–10 (ReLU) on ${trainSize} digits at ${side}×${side} px, tested on ${testSize} (the bundled digits' seeded split). ${STEPS} steps of batch ${BATCH}; every optimizer starts from the same weights, sees the same batches, and runs at the centre of the race's lr sweep.`;
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
    const request: WorkerRequest = { type: 'start', ids, seed: 0, steps: STEPS, batchSize: BATCH, digitsUrl: this.digitsUrl, lrs: Object.fromEntries(ids.map((id) => [id, contestants.find((c) => c.id === id)!.networkLr])) };
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
        this.setStatus(`training ${message.description} (kernels: ${message.backend})`);
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
          return { label: c.label, colour: c.colour, dash: c.dash, values: Array.from({ length: curve[pick].length }, (_, i) => curve[pick][i] ?? Number.NaN) };
        });
      drawChart(document.getElementById('mnist-loss') as HTMLCanvasElement, series('loss'), { title: 'mini-batch loss (log)', log: true });
      const accuracy = series('accuracy').map((s) => ({ ...s, values: fillGaps(s.values) }));
      drawChart(document.getElementById('mnist-accuracy') as HTMLCanvasElement, accuracy, { title: `test accuracy on ${MNIST_BUDGET.mnist.testSize} digits`, log: false, yRange: [0, 1] });
    });
  }
}

/** Accuracy is measured every few steps: carry each measurement to the next. */
function fillGaps(values: number[]): number[] {
  let last = Number.NaN;
  return values.map((v) => (Number.isFinite(v) ? (last = v) : last));
}

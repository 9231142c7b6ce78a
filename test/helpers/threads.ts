/**
 * What the thread-count tests share (test/threads.test.ts, and ./relaxed-threads.ts in a child
 * Node with relaxed SIMD): the bench's MLP trained for a few steps at a given thread count.
 */
import { Generator, Tensor, nn, F, optim, withThreads } from '../../src/index.js';

/** A step's numbers on a worker are ready only after the worker took the memory: give it a turn of the event loop. */
export const turn = (): Promise<void> => new Promise((done) => setTimeout(done, 20));

export const bytesOf = (arrays: Float32Array[]): Uint8Array[] => arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice());

/**
 * The bench's MLP 784-256-10 (Linear then ReLU, which nn.Sequential runs as one product with
 * bias and ReLU in its output pass) trained with Adam for 4 steps of 128 samples on `count`
 * threads: every weight and both moments, as bytes.
 */
export async function trainBenchMlp(count: number): Promise<Uint8Array[]> {
  const rng = new Generator(0);
  const X = new Tensor(Float32Array.from({ length: 256 * 784 }, () => rng.normal()), [256, 784]);
  const labels = Int32Array.from({ length: 256 }, () => rng.integer(0, 10));
  const model = new nn.Sequential(new nn.Linear(784, 256, { generator: rng }), new nn.ReLU(), new nn.Linear(256, 10, { generator: rng }));
  const params = model.parameters();
  const adam = new optim.Adam(params, { lr: 1e-3 });
  for (let step = 0; step < 4; step++) {
    withThreads(count, () => {
      adam.zeroGrad();
      F.crossEntropy(model.call(X.slice(128 * (step % 2), 128 * (step % 2) + 128)) as Tensor, labels.subarray(128 * (step % 2), 128 * (step % 2) + 128)).backward();
      adam.step();
    });
    await turn();
  }
  const moments = params.flatMap((p) => [adam.state.get(p)!.exp_avg as Tensor, adam.state.get(p)!.exp_avg_sq as Tensor]);
  return bytesOf([...params, ...moments].map((t) => t.data as Float32Array));
}

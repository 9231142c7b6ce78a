/**
 * The TensorFlow.js adapter's cost: the bench's MLP (784-256-10, batch 128) trained by tfjs with
 * its own Adam and with descent's Adam through `descent/tfjs`, on the cpu and wasm backends, in
 * this one process, alternating. Prints samples/s and the ratio (adapter ÷ tfjs's own Adam).
 *
 *   node bench/tfjs_adapter.mjs                      prints the table
 *   node bench/tfjs_adapter.mjs '{"samples":2560,"batch":128,"reps":3}'
 *                                                    as a bench peer: one JSON line last
 */
import { register } from 'tsx/esm/api';
register();
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-wasm');
const { optim } = await import('../src/index.ts');
const { descentOptimizer } = await import('../src/tfjs/index.ts');

const job = process.argv[2] === undefined ? null : JSON.parse(process.argv[2]);
const samples = job?.samples ?? 2048;
const batch = job?.batch ?? 128;
const reps = Math.max(3, job?.reps ?? 3);

/** One warm-up epoch, then the best of `reps` epochs, for each optimizer in turn (alternating). */
async function samplesPerSecond(x, y, makers) {
  const models = makers.map((makeOptimizer) => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }), tf.layers.dense({ units: 10 })] });
    model.compile({ optimizer: makeOptimizer(), loss: 'categoricalCrossentropy' });
    return model;
  });
  const best = models.map(() => Infinity);
  for (let rep = -1; rep < reps; rep++) {
    for (const [i, model] of models.entries()) {
      const t0 = performance.now();
      await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
      if (rep >= 0) best[i] = Math.min(best[i], performance.now() - t0);
    }
  }
  models.forEach((model) => model.dispose());
  return best.map((ms) => samples / (ms / 1000));
}

const backends = [];
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  const x = tf.randomNormal([samples, 784], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([samples], 0, 10, 'int32', 2), 10);
  const [own, adapted] = await samplesPerSecond(x, y, [
    () => tf.train.adam(1e-3),
    () => descentOptimizer((named) => new optim.Adam(named.map(([, p]) => p), { lr: 1e-3 })),
  ]);
  tf.dispose([x, y]);
  backends.push({ backend, own, adapted, ratio: adapted / own });
  if (job === null) console.log(`tfjs ${backend}: own Adam ${own.toFixed(0)} samples/s, descent Adam through descent/tfjs ${adapted.toFixed(0)} samples/s (${(adapted / own).toFixed(2)}×)`);
}
if (job !== null) console.log(JSON.stringify({ version: tf.version.tfjs, samples, batch, reps, backends }));

/**
 * The TensorFlow.js adapter's cost: the bench's MLP (784-256-10, batch 128) trained by tfjs with
 * its own Adam and with descent's Adam through `descent/tfjs`, on the cpu and wasm backends, in
 * this one process, alternating. Prints samples/s and the ratio. Run: node bench/tfjs_adapter.mjs
 */
import { register } from 'tsx/esm/api';
register();
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-wasm');
const { optim } = await import('../src/index.ts');
const { descentOptimizer } = await import('../src/tfjs/index.ts');

const samples = 2048;
const batch = 128;

async function samplesPerSecond(x, y, makeOptimizer) {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }), tf.layers.dense({ units: 10 })] });
  model.compile({ optimizer: makeOptimizer(), loss: 'categoricalCrossentropy' });
  await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
    best = Math.min(best, performance.now() - t0);
  }
  model.dispose();
  return samples / (best / 1000);
}

for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  const x = tf.randomNormal([samples, 784], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([samples], 0, 10, 'int32', 2), 10);
  const own = await samplesPerSecond(x, y, () => tf.train.adam(1e-3));
  const adapted = await samplesPerSecond(x, y, () => descentOptimizer((p) => new optim.Adam(p, { lr: 1e-3 })));
  console.log(`tfjs ${backend}: own Adam ${own.toFixed(0)} samples/s, descent Adam through descent/tfjs ${adapted.toFixed(0)} samples/s (${(adapted / own).toFixed(2)}×)`);
}

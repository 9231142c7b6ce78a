/**
 * TensorFlow.js side of `npm run bench`, run in its own process so its memory and JIT state
 * stay out of descent's measurements. Reads one JSON workload from argv[2], prints one JSON
 * result on stdout. CommonJS because `@tensorflow/tfjs` only wires up gradients that way in Node.
 *
 * Workload: { backend: 'cpu' | 'wasm', optimizers: [key], workloads: [{ label, count, size }],
 *             reps, warmup, mlp: { samples, batch, reps } | null }
 */
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

/** The tfjs optimizers that match a descent configuration, with PyTorch's hyperparameters. */
const OPTIMIZERS = {
  sgd: () => tf.train.sgd(0.01),
  momentum: () => tf.train.momentum(0.01, 0.9),
  adagrad: () => tf.train.adagrad(0.01, 0),
  rmsprop: () => tf.train.rmsprop(0.01, 0.99, 0, 1e-8, false),
  adam: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8),
  adamax: () => tf.train.adamax(2e-3, 0.9, 0.999, 1e-8, 0),
  adadelta: () => tf.train.adadelta(1.0, 0.9, 1e-6),
};

/** Warm-up and timed runs each stop after this long, once at least `MIN_REPS` runs are timed. */
const SLOW_STEP_BUDGET_MS = 3000;
const MIN_REPS = 3;

async function timeOptimizer(key, { count, size }, reps, warmup) {
  const vars = [];
  const grads = {};
  for (let k = 0; k < count; k++) {
    const v = tf.variable(tf.ones([size]), true, `v${k}_${key}_${count}x${size}`);
    vars.push(v);
    grads[v.name] = tf.tidy(() => tf.mul(tf.randomNormal([size]), 0.1));
  }
  await vars[0].data();
  const before = tf.memory().numBytes;
  const opt = OPTIMIZERS[key]();
  opt.applyGradients(grads);
  await vars[vars.length - 1].data();
  // Slots the optimizer keeps (accumulators, moments) are variables that stay allocated.
  const stateBytes = (tf.memory().numBytes - before) / (count * size);
  // A step of seconds (the cpu backend on 16M values) needs no more repetitions than three to
  // be timed well; capping the time keeps the full bench from spending most of its run here.
  const warmupEnd = performance.now() + SLOW_STEP_BUDGET_MS;
  for (let r = 1; r < warmup && performance.now() < warmupEnd; r++) {
    opt.applyGradients(grads);
    await vars[vars.length - 1].data();
  }
  let best = Infinity;
  const timingEnd = performance.now() + SLOW_STEP_BUDGET_MS;
  for (let r = 0; r < reps && (r < MIN_REPS || performance.now() < timingEnd); r++) {
    const t = performance.now();
    opt.applyGradients(grads);
    await vars[vars.length - 1].data();
    best = Math.min(best, performance.now() - t);
  }
  opt.dispose();
  vars.forEach((v) => v.dispose());
  Object.values(grads).forEach((g) => g.dispose());
  return { nsPerParam: (best * 1e6) / (count * size), stateBytesPerParam: stateBytes };
}

async function timeMlp({ samples, batch, reps }) {
  const X = tf.randomNormal([samples, 784]);
  const y = tf.oneHot(tf.randomUniform([samples], 0, 10, 'int32'), 10);
  const W1 = tf.variable(tf.randomNormal([784, 256], 0, 0.05));
  const b1 = tf.variable(tf.zeros([256]));
  const W2 = tf.variable(tf.randomNormal([256, 10], 0, 0.05));
  const b2 = tf.variable(tf.zeros([10]));
  const opt = tf.train.adam(1e-3);
  const epoch = () => {
    for (let i = 0; i + batch <= samples; i += batch) {
      tf.tidy(() => {
        const xb = tf.slice(X, [i, 0], [batch, 784]);
        const yb = tf.slice(y, [i, 0], [batch, 10]);
        opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xb, W1), b1)), W2), b2)));
      });
    }
  };
  epoch();
  await W1.data();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    epoch();
    await W1.data();
    best = Math.min(best, performance.now() - t);
  }
  const used = Math.floor(samples / batch) * batch;
  return { samplesPerSecond: (used / best) * 1000 };
}

(async () => {
  const job = JSON.parse(process.argv[2]);
  await tf.setBackend(job.backend);
  await tf.ready();
  const results = [];
  for (const key of job.optimizers) {
    for (const w of job.workloads) results.push({ optimizer: key, workload: w.label, ...(await timeOptimizer(key, w, job.reps, job.warmup)) });
  }
  const mlp = job.mlp ? await timeMlp(job.mlp) : null;
  process.stdout.write(JSON.stringify({ version: tf.version_core, backend: tf.getBackend(), results, mlp }) + '\n');
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});

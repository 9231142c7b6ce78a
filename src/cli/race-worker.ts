/**
 * A race worker thread: runs each trial it is sent and posts the result back. Trials are pure
 * functions of their specs, so any worker gives the same numbers.
 */
import { parentPort } from 'node:worker_threads';
import { answer, type TrialTask } from '../race/index.js';
import { nodeDatasets, threadCpuClock } from './race-env.js';
import { setThreads } from '../wasm/threads.js';

// The race already runs one trial per core: kernels splitting each trial again would only
// make the workers fight over the cores.
setThreads(1);

const cpuSeconds = threadCpuClock();
const env = { datasets: nodeDatasets(), now: () => performance.now(), ...(cpuSeconds ? { cpuSeconds } : {}) };
parentPort!.on('message', (task: TrialTask) => parentPort!.postMessage(answer(task, env)));

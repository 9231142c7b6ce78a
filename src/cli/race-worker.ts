/**
 * A race worker thread: runs each trial it is sent and posts the result back. Trials are pure
 * functions of their specs, so any worker gives the same numbers.
 */
import { parentPort } from 'node:worker_threads';
import { answer, type TrialTask } from '../race/index.js';
import { nodeDatasets, threadCpuClock } from './race-env.js';

const cpuSeconds = threadCpuClock();
const env = { datasets: nodeDatasets(), now: () => performance.now(), ...(cpuSeconds ? { cpuSeconds } : {}) };
parentPort!.on('message', (task: TrialTask) => parentPort!.postMessage(answer(task, env)));

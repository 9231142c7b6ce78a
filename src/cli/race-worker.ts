/**
 * A race worker thread: runs each trial it is sent and posts the result back. Trials are pure
 * functions of their specs, so any worker gives the same numbers.
 */
import { parentPort } from 'node:worker_threads';
import { runTrialTask, type TrialTask } from '../race/index.js';
import { nodeDatasets } from './race-env.js';

const env = { datasets: nodeDatasets(), now: () => performance.now() };
parentPort!.on('message', (task: TrialTask) => {
  try {
    parentPort!.postMessage({ ok: true, result: runTrialTask(task, env) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: (error as Error).stack ?? String(error) });
  }
});

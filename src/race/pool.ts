/**
 * A pool of message-passing workers that run trials, whatever the platform: Node's
 * worker_threads (src/cli/race-env.ts) and the browser's Web Workers adapt to `TrialPort`.
 * Each worker takes the next queued trial when it finishes one: the highest priority first
 * (an experiment's later rounds), and within a priority the experiment that has had the least
 * worker time so far (fair share), in order of arrival within one experiment. Fair share keeps
 * a stage of thousands of queued trials from holding both workers while cheap claims wait
 * behind it, and brings the big stages to their end together rather than one after another.
 * Results come back by trial, so the order in which workers finish changes nothing.
 *
 * In a browser:
 *
 *   // worker.js
 *   import { serveTrials } from 'descent/race';
 *   serveTrials(self, { datasets, now: () => performance.now() });
 *
 *   // page
 *   const pool = workerPool(navigator.hardwareConcurrency, () => webWorkerPort(new Worker('worker.js', { type: 'module' })));
 *   const results = await runRace({ budget: 'quick' }, { datasets, now, version, runner: pool });
 *   await pool.close();
 */
import { timedTrial, type TrialOutput, type TrialRunner, type TrialTask } from './run.js';
import type { TrialClock, TrialEnv } from './types.js';

/** What the pool needs of one worker. */
export interface TrialPort {
  post(task: TrialTask): void;
  onMessage(handler: (reply: TrialReply) => void): void;
  onFailure(handler: (error: Error) => void): void;
  terminate(): Promise<unknown> | void;
}

/** A trial's result and the seconds the worker spent on it, by its clock (queueing left out). */
export type TrialReply = { readonly ok: true; readonly result: unknown; readonly seconds: number; readonly clock: TrialClock } | { readonly ok: false; readonly error: string };

interface Pending {
  readonly task: TrialTask;
  readonly priority: number;
  resolve(value: TrialOutput): void;
  reject(error: Error): void;
}

/** One experiment's queued trials (highest priority first, by arrival within one) and the worker time it has had. */
interface Share {
  readonly queue: Pending[];
  /** When its first trial arrived: breaks ties between experiments. */
  readonly arrival: number;
  seconds: number;
  finished: number;
  running: number;
}

/** The worker time an experiment has had, its running trials counted at its mean trial time so far. */
const served = (share: Share): number => share.seconds + (share.finished > 0 ? (share.running * share.seconds) / share.finished : 0);

/** The experiment whose next trial should start: highest priority at its head, then least served, then first arrived. */
function nextShare(shares: Iterable<Share>): Share | null {
  let best: Share | null = null;
  for (const share of shares) {
    const head = share.queue[0];
    if (head === undefined) continue;
    if (best === null) {
      best = share;
      continue;
    }
    const top = best.queue[0]!.priority;
    if (head.priority !== top) {
      if (head.priority > top) best = share;
      continue;
    }
    const [mine, theirs] = [served(share), served(best)];
    if (mine < theirs || (mine === theirs && share.arrival < best.arrival)) best = share;
  }
  return best;
}

/** `count` workers from `spawn`; `close()` ends them (whoever creates a pool closes it). */
export function workerPool(count: number, spawn: () => TrialPort): TrialRunner {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`workerPool: the worker count must be a positive integer, got ${count}`);
  const shares = new Map<string, Share>();
  const idle: TrialPort[] = [];
  const busy = new Map<TrialPort, Pending>();
  const ports: TrialPort[] = [];
  let failure: Error | null = null;

  const shareOf = (experiment: string): Share => {
    let share = shares.get(experiment);
    if (share === undefined) {
      share = { queue: [], arrival: shares.size, seconds: 0, finished: 0, running: 0 };
      shares.set(experiment, share);
    }
    return share;
  };
  const dispatch = (): void => {
    while (idle.length > 0) {
      const share = nextShare(shares.values());
      if (share === null) return;
      const port = idle.pop()!;
      const job = share.queue.shift()!;
      share.running += 1;
      busy.set(port, job);
      port.post(job.task);
    }
  };
  // A worker that dies takes the race with it: every pending trial fails with its error.
  const fail = (error: Error): void => {
    failure ??= error;
    for (const job of [...busy.values(), ...[...shares.values()].flatMap((share) => share.queue.splice(0))]) job.reject(failure);
    busy.clear();
  };
  for (let k = 0; k < count; k++) {
    const port = spawn();
    port.onMessage((reply) => {
      const job = busy.get(port);
      busy.delete(port);
      idle.push(port);
      if (job) {
        const share = shareOf(job.task.experiment);
        share.running -= 1;
        if (reply.ok) {
          share.seconds += reply.seconds;
          share.finished += 1;
          job.resolve({ result: reply.result, seconds: reply.seconds, clock: reply.clock });
        } else job.reject(new Error(reply.error));
      }
      dispatch();
    });
    port.onFailure(fail);
    ports.push(port);
    idle.push(port);
  }
  return {
    workers: count,
    run(task, priority = 0) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        // Behind every queued trial of its experiment of the same or a higher priority, ahead of the lower ones.
        const { queue } = shareOf(task.experiment);
        let at = queue.length;
        while (at > 0 && queue[at - 1]!.priority < priority) at -= 1;
        queue.splice(at, 0, { task, priority, resolve, reject });
        dispatch();
      });
    },
    async close() {
      await Promise.all(ports.map((p) => p.terminate()));
    },
  };
}

/** The worker side: runs every trial it receives and replies with its result or error. */
export function serveTrials(scope: { onmessage: ((event: { data: TrialTask }) => void) | null; postMessage(reply: TrialReply): void }, env: TrialEnv): void {
  scope.onmessage = (event) => scope.postMessage(answer(event.data, env));
}

/** One trial's reply: its result and how long it took, or its error's stack. */
export function answer(task: TrialTask, env: TrialEnv): TrialReply {
  try {
    return { ok: true, ...timedTrial(task, env) };
  } catch (error) {
    return { ok: false, error: (error as Error).stack ?? String(error) };
  }
}

/** A browser Web Worker as a TrialPort. */
export function webWorkerPort(worker: {
  postMessage(task: TrialTask): void;
  addEventListener(type: 'message', listener: (event: { data: TrialReply }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}): TrialPort {
  return {
    post: (task) => worker.postMessage(task),
    onMessage: (handler) => worker.addEventListener('message', (event) => handler(event.data)),
    onFailure: (handler) => worker.addEventListener('error', (event) => handler(new Error(`a race worker failed: ${event.message ?? 'unknown error'}`))),
    terminate: () => worker.terminate(),
  };
}

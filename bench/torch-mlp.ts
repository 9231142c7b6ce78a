/**
 * PyTorch's MLP trainer kept running beside descent's: bench/peers/torch_peer.py in its serving
 * mode, one process for the whole comparison, so that bench/mlp.ts can time an epoch of each
 * trainer in turn on the same machine state. The script comes in as `python3 -c <script>`
 * (its stdin carries the commands), which works through a chroot as well as on the host.
 *
 * Its answers are the stdout lines that are JSON objects: libraries loaded with torch print
 * lines of their own there (UCX's "failed to get boot id" in the chroot), which are kept only to
 * explain a failure. Every way it can fail (no Python, an exit mid-way, a wrong answer,
 * silence) rejects with a sentence that says so, with the end of its stderr and of those
 * lines; the process is then killed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface TorchMlp {
  readonly version: string;
  readonly blas: string;
  /** Seconds of one epoch at `threads`, timed inside Python. */
  epoch(threads: number): Promise<number>;
  /** Asks the trainer to quit and waits for its exit (killing it if it does not go). */
  close(): Promise<void>;
}

const script = readFileSync(new URL('./peers/torch_peer.py', import.meta.url), 'utf8');
const TAIL_LINES = 4;

function jsonObject(line: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function startTorchMlp(python: readonly string[], config: { samples: number; batch: number }, answerTimeoutMs = 120_000): Promise<TorchMlp> {
  const job = JSON.stringify({ serve_mlp: { samples: config.samples, batch: config.batch } });
  const child = spawn(python[0]!, [...python.slice(1), '-c', script, job], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => void (stderr = (stderr + chunk).slice(-4096)));
  const chatter: string[] = [];
  const tails = (): string => `stderr: ${stderr.trim().split('\n').slice(-TAIL_LINES).join(' | ') || 'nothing'}${chatter.length > 0 ? `; other stdout lines: ${chatter.join(' | ')}` : ''}`;
  // A write after the process died fails with EPIPE; its exit, reported below, says why.
  child.stdin.on('error', () => undefined);

  const answers: Array<Record<string, unknown>> = [];
  let ended: string | null = null;
  let wake: (() => void) | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const answer = jsonObject(line);
    if (answer === null) {
      chatter.push(line.slice(0, 200));
      chatter.splice(0, chatter.length - TAIL_LINES);
      return;
    }
    answers.push(answer);
    wake?.();
  });
  child.on('error', (error) => {
    ended = `${python.join(' ')} could not be started: ${error.message}`;
    wake?.();
  });
  child.on('close', (code, signal) => {
    ended ??= `PyTorch's MLP trainer exited (${signal ?? `code ${code}`}): ${tails()}`;
    wake?.();
  });

  const fail = (why: string): never => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    throw new Error(why);
  };

  const answer = async (to: string): Promise<Record<string, unknown>> => {
    const deadline = performance.now() + answerTimeoutMs;
    while (answers.length === 0) {
      if (ended !== null) fail(`${ended} (waiting for its answer to ${to})`);
      const left = deadline - performance.now();
      if (left <= 0) fail(`PyTorch's MLP trainer gave no answer to ${to} in ${answerTimeoutMs / 1000} s: ${tails()}`);
      await new Promise<void>((resume) => {
        const timer = setTimeout(resume, left);
        wake = () => {
          clearTimeout(timer);
          resume();
        };
      });
      wake = null;
    }
    return answers.shift()!;
  };

  const ready = await answer('its start');
  if (ready.ready !== true) fail(`PyTorch's MLP trainer started with ${JSON.stringify(ready)}, not {"ready": true, ...}`);

  return {
    version: String(ready.version),
    blas: String(ready.blas),
    async epoch(threads: number): Promise<number> {
      const command = `epoch ${threads}`;
      child.stdin.write(command + '\n');
      const reply = await answer(`'${command}'`);
      if (reply.threads !== threads) fail(`PyTorch's MLP trainer ran '${command}' on ${JSON.stringify(reply.threads)} threads`);
      const seconds = reply.seconds;
      if (typeof seconds !== 'number' || !(seconds > 0) || !Number.isFinite(seconds)) fail(`PyTorch's MLP trainer timed '${command}' at ${JSON.stringify(seconds)} s`);
      return seconds as number;
    },
    async close(): Promise<void> {
      if (ended !== null) return;
      const exited = new Promise<void>((done) => child.once('close', () => done()));
      child.stdin.end('quit\n');
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

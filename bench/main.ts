/**
 * `npm run bench`: descent's fused WebAssembly and plain JavaScript optimizer steps, the
 * memory-bandwidth floor, TensorFlow.js (cpu and wasm backends) and PyTorch CPU (optimizer steps
 * on one thread), side by side in one run; then MLP training throughput and the matrix product
 * at 1 and 2 threads against PyTorch at 1 and 2 threads (the MLP's epochs paired with
 * PyTorch's, bench/paired.ts), and the TensorFlow.js adapter's cost.
 * Prints the tables and writes BENCHMARKS.md.
 *
 *   node bench/run.mjs [--quick] [--no-peers] [--only=adam,sgd] [--out=BENCHMARKS.md]
 *                      [--mlp-rounds=N] [--mlp-processes=N] [--paired-mlp-only]
 *
 * --mlp-rounds and --mlp-processes set the paired MLP comparison's rounds per process and its
 * processes; --paired-mlp-only runs that comparison alone, prints it and writes no report.
 *
 * Timing: every number is the best of N runs after warm-up runs (the first calls of a
 * WebAssembly function run in V8's baseline tier). The peers run in child processes so their
 * memory and JIT state stay out of descent's numbers; the floor runs in this process over
 * descent's own arena.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPECS, measureDescent, type DescentResult, type Spec, type Workload, type Timing } from './optimizers.js';
import type { MlpConfig, MlpMeasurement } from './mlp.js';
import type { FreshJob, FreshRun } from './fresh-process.js';
import { pairedRatioByProcess, ratioVerdict, type ProcessPairedRatio } from './paired.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const option = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const quick = flag('quick');
const withPeers = !flag('no-peers');
const only = option('only')?.split(',');
const outFile = resolve(root, option('out') ?? 'BENCHMARKS.md');
const pairedMlpOnly = flag('paired-mlp-only');
function positiveInteger(name: string, otherwise: number): number {
  const given = option(name);
  const value = Number(given ?? otherwise);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`bench: --${name} wants a positive integer, got '${given}'`);
  return value;
}

const M = 2 ** 20;
const dense: Workload[] = quick
  ? [{ label: '1 × 1M', count: 1, size: M }, { label: '1000 × 100', count: 1000, size: 100 }]
  : [{ label: '1 × 16M', count: 1, size: 16 * M }, { label: '1000 × 100', count: 1000, size: 100 }];
const sparse: Workload[] = quick
  ? [{ label: '64k × 16, 10% rows', count: 1, size: M, width: 16, rows: 6554 }]
  : [{ label: '1M × 16, 10% rows', count: 1, size: 16 * M, width: 16, rows: 104858 }];
const timing: Timing = quick ? { reps: 5, warmup: 3, minMs: 60 } : { reps: 9, warmup: 4, minMs: 300 };
/** The MLP's epochs per thread count where one process times one trainer: the relaxed-SIMD row, the peers' own runs (PyTorch's only when the paired run has no PyTorch epochs). */
const mlpConfig: MlpConfig = quick ? { samples: 2560, batch: 128, reps: 8 } : { samples: 10240, batch: 128, reps: 6 };
/** Rounds of the paired MLP comparison in each of its processes: per round and thread count an epoch of descent's 'wasm' MLP and one of PyTorch's. */
const pairedRounds = positiveInteger('mlp-rounds', quick ? 4 : 8);
/** Processes the paired MLP comparison runs in, one after the other: its interval is over their geometric means (bench/paired.ts). */
const pairedProcesses = positiveInteger('mlp-processes', quick ? 2 : 4);
/** The GEMM beside the peak: rounds of (1 thread, 2 threads, peak), best of each, for at least `minMs`. */
const gemmTiming: Timing = quick ? { reps: 30, warmup: 5, minMs: 400 } : { reps: 100, warmup: 10, minMs: 1500 };
/** Adam on the large tensor, its step and its floor each on 2 threads. */
const adamTwoThreads: Workload = { ...dense[0]!, label: `${dense[0]!.label}, 2 threads`, threads: 2 };
/**
 * What the `p.grad = t` row times (one text for the live log and the report): gradients from
 * backward are not built inside the baseline's timed step, so neither are these.
 */
const assignLegend = '1000 × 100, p.grad = t: two sets of gradient tensors are built before the timing; each timed call assigns, with `p.grad = t`, the set the previous call did not (a new tensor per param, as a caller\'s fresh gradients are), then steps. Its baseline is the same step on gradients backward left in place (a second optimizer over params of its own), timed in the same process, alternating with it. Neither times building gradients.';
/** Adam alone also runs the small-tensor extreme, the `p.grad = t` path and the 2-thread step the targets name. */
const adamExtras: Workload[] = [
  { label: '10,000 × 10', count: 10_000, size: 10 },
  { label: '1000 × 100, p.grad = t', count: 1000, size: 100, assignGrads: true },
  adamTwoThreads,
];

/**
 * The per-tensor-tax targets (issue 14): Adam on many small tensors against its floor, and
 * gradients assigned with `p.grad = t` against gradients left by backward (`versusBackward`: the
 * step timed beside it on backward's gradients divides this one's). One table for the live log
 * and the report.
 */
interface StepTarget {
  workload: string;
  limit: number;
  versusBackward?: true;
  label: string;
}
const stepTargets: StepTarget[] = [
  { workload: dense[1]!.label, limit: 1.5, label: `Adam ${dense[1]!.label} ÷ floor (1 thread)` },
  { workload: adamExtras[0]!.label, limit: 2, label: `Adam ${adamExtras[0]!.label} ÷ floor (1 thread)` },
  { workload: adamExtras[1]!.label, limit: 1.2, versusBackward: true, label: 'Adam 1000 × 100 with `p.grad = t` each step ÷ the same with grads from backward' },
];

/** The Adam result a step target reads, once its workload ran. */
const adamResult = (t: StepTarget, results: readonly DescentResult[]): DescentResult | undefined => results.find((x) => x.optimizer === 'adam' && x.workload === t.workload);

/**
 * What bounds a step target on this machine, measured beside it: for a ratio to the floor, the
 * square roots and divisions alone over the same arena (÷ the floor); for `p.grad = t`, the
 * step on backward's gradients plus the copies alone (÷ that step), since the copies into the
 * arena are the least this path must add.
 */
function stepTargetBound(t: StepTarget, results: readonly DescentResult[]): number | null {
  const r = adamResult(t, results);
  if (r === undefined) return null;
  if (!t.versusBackward) return ratio(r.sqrtDivideFloor, r.floor);
  return r.backwardBaseline === undefined || r.copies === undefined ? null : ratio(r.backwardBaseline + r.copies, r.backwardBaseline);
}

/** A step target's measured ratio, from the Adam results so far (null until both sides ran). */
function stepTargetRatio(t: StepTarget, results: readonly DescentResult[]): number | null {
  const r = adamResult(t, results);
  if (r === undefined) return null;
  return t.versusBackward ? ratio(r.wasm, r.backwardBaseline) : ratio(r.wasmKernel ?? r.wasm, r.floor);
}
const specs = pairedMlpOnly ? [] : SPECS.filter((s) => only === undefined || only.includes(s.key));
const workloadsOf = (s: Spec): Workload[] => (s.sparse ? sparse : s.key === 'adam' ? [...dense, ...adamExtras] : dense);

const log = (line: string): void => void process.stdout.write(line + '\n');
const fmt = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined): number | null => (a == null || b == null || b === 0 ? null : a / b);

// ---- the machine ----
function machine(): Record<string, string> {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux: os.cpus() already named it
  }
  const pkg = (name: string): string => {
    try {
      return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  return {
    CPU: model,
    cores: String(cpus().length),
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    'load average at start': loadavg().map((x) => x.toFixed(2)).join(', '),
    Node: process.version,
    V8: process.versions.v8,
    AssemblyScript: pkg('assemblyscript'),
    'TensorFlow.js': pkg('@tensorflow/tfjs'),
    date: new Date().toISOString(),
  };
}

// ---- peers ----
interface PeerResult {
  optimizer: string;
  workload: string;
  nsPerParam: number;
  stateBytesPerParam: number;
  foreach?: boolean | null;
}
interface PeerRun {
  version?: string;
  backend?: string;
  blas?: string;
  results: PeerResult[];
  mlp?: { samplesPerSecond: number } | null;
  /** PyTorch: the MLP and the matmul at each thread count. */
  byThreads?: Array<{ threads: number; mlp: { samplesPerSecond: number } | null; matmulGflops: number }>;
  error?: string;
}

/** bench/tfjs_adapter.mjs as a peer: per tfjs backend, the MLP's samples/s with tfjs's Adam and through the adapter. */
interface AdapterRun {
  samples: number;
  batch: number;
  reps: number;
  backends?: Array<{ backend: string; own: number; adapted: number; ratio: number }>;
  error?: string;
}

function runPeer(command: string, argv: string[], job: unknown, label: string, input?: string): PeerRun {
  log(`… ${label}`);
  const r = spawnSync(command, [...argv, JSON.stringify(job)], { cwd: root, encoding: 'utf8', input, maxBuffer: 1 << 26, timeout: quick ? 600_000 : 3_600_000 });
  if (r.status !== 0) {
    const why = (r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-3).join(' ');
    log(`  ${label} failed: ${why}`);
    return { results: [], mlp: null, error: why };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerRun;
}

/**
 * The Python that runs the PyTorch peer, as a command line: `DESCENT_TORCH_PYTHON` when set
 * (e.g. "chroot /opt/sid python3"), else the PyTorch 2.14 chroot that ../shared/NOTES.md sets up,
 * else the system Python. The peer script is fed on stdin, so it needs no path the command can see.
 */
function torchPython(): string[] {
  const configured = process.env.DESCENT_TORCH_PYTHON?.trim();
  if (configured) return configured.split(/\s+/);
  if (existsSync('/opt/sid/usr/bin/python3') && process.getuid?.() === 0) return ['chroot', '/opt/sid', 'python3'];
  return ['/usr/bin/python3'];
}

function torchAvailable(python: readonly string[]): boolean {
  return spawnSync(python[0]!, [...python.slice(1), '-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

const TORCH_THREADS = [1, 2];

/** descent's MLP samples/s: all-JavaScript kernels and WebAssembly on one thread, WebAssembly on two, and the matmul's relaxed-SIMD build on one (null where no Node here runs it). */
interface MlpRuns {
  js: number | null;
  wasm: number | null;
  wasm2: number | null;
  relaxed: number | null;
  /** Kernel parts that ran on the worker thread in the paired run's timed epochs, per thread count of `TORCH_THREADS` (0 at 2 threads: that row ran on one thread). */
  partsOnWorkers: MlpMeasurement['partsOnWorkers'];
  /** descent ÷ PyTorch from the paired epochs, per thread count of `TORCH_THREADS`: the summary over processes, or why there is none. */
  paired: Array<{ threads: number; ratio: ProcessPairedRatio | null; missing?: string }>;
}

/**
 * The paired comparison at each thread count, or why it is missing there: no PyTorch, a failed
 * run, or a 2-thread epoch of descent's that ran no part on the worker (then it was no 2-thread
 * epoch).
 */
function pairedResults(runs: readonly MlpMeasurement[], why: string | null): MlpRuns['paired'] {
  const parts = partsOf(runs);
  return TORCH_THREADS.map((threads, t) => {
    if (why !== null) return { threads, ratio: null, missing: why };
    const failure = runs.find((run) => run.pairs === undefined);
    if (failure !== undefined) return { threads, ratio: null, missing: failure.peerFailure ?? 'a paired process gave no pairs' };
    if (threads > 1 && parts[t]!.fewestInAnEpoch === 0) return { threads, ratio: null, missing: `an epoch of descent's at ${threads} threads ran no kernel part on a worker (${parts[t]!.total} in all): it ran on one thread` };
    return { threads, ratio: pairedRatioByProcess(runs.map((run) => run.pairs![t]!.map((pair) => pair.descent / pair.peer))) };
  });
}

/** Kernel parts on the worker over every paired process, per thread count. */
function partsOf(runs: readonly MlpMeasurement[]): MlpMeasurement['partsOnWorkers'] {
  if (runs.length === 0) return [];
  return TORCH_THREADS.map((_, t) => ({
    total: runs.reduce((sum, run) => sum + run.partsOnWorkers[t]!.total, 0),
    fewestInAnEpoch: Math.min(...runs.map((run) => run.partsOnWorkers[t]!.fewestInAnEpoch)),
  }));
}

const pairedLine = (r: ProcessPairedRatio): string => `geometric mean ${fmt(r.geometricMean, 3)} [${fmt(r.lo, 3)}, ${fmt(r.hi, 3)}] (95 % t-interval over the ${r.processes} processes' geometric means ${r.processMeans.map((m) => fmt(m, 3)).join(', ')}), median ${fmt(r.median, 3)}, min–max ${fmt(r.min, 3)}–${fmt(r.max, 3)}, ${r.pairs} pairs`;
const partsLine = (parts: MlpRuns['partsOnWorkers']): string =>
  parts.length === 0 ? 'not measured' : TORCH_THREADS.map((threads, t) => `${parts[t]!.total} at ${threads} thread${threads === 1 ? '' : 's'} (at least ${parts[t]!.fewestInAnEpoch} in every epoch)`).join(', ');

/** One of descent's MLP or matmul blocks in a Node process of its own (bench/fresh-process.ts), started with `flags`; null where it fails (its reason logged). */
function inFreshProcess(job: FreshJob, label: string, flags: readonly string[] = []): FreshRun | null {
  log(`… descent ${label}`);
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', join('bench', 'fresh-process.ts'), JSON.stringify(job)], { cwd: root, encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) {
    log(`  descent ${label} failed: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FreshRun;
}

/** PyTorch's best epoch per thread count of `TORCH_THREADS` over the paired processes; null where a process has no pairs. */
function pairedTorchBest(runs: readonly MlpMeasurement[]): number[] | null {
  if (runs.length === 0 || runs.some((run) => run.pairs === undefined)) return null;
  return TORCH_THREADS.map((_, t) => Math.max(...runs.flatMap((run) => run.pairs![t]!.map((pair) => pair.peer))));
}
/** descent's best epoch per thread count of `TORCH_THREADS` over the paired processes. */
function pairedDescentBest(runs: readonly MlpMeasurement[]): Array<number | null> {
  return TORCH_THREADS.map((_, t) => (runs.length === 0 ? null : Math.max(...runs.map((run) => run.samplesPerSecond[t]!))));
}

/** `run` (PyTorch's main run) with its MLP rows taken from the paired run's PyTorch epochs, where those exist. */
function withPairedMlp(run: PeerRun, best: number[] | null): PeerRun {
  if (!run.byThreads || best === null) return run;
  const byThreads = run.byThreads.map((r) => {
    const t = TORCH_THREADS.indexOf(r.threads);
    return t < 0 ? r : { ...r, mlp: { samplesPerSecond: best[t]! } };
  });
  return { ...run, byThreads };
}

// ---- run ----
async function main(): Promise<void> {
  const info = machine();
  log(`descent bench${quick ? ' (quick)' : ''}: ${info.CPU}, ${info.cores} cores, Node ${info.Node}`);
  if (specs.some((s) => s.key === 'adam')) log(`  (${assignLegend})`);

  const ours: DescentResult[] = [];
  for (const spec of specs) {
    for (const w of workloadsOf(spec)) {
      const r = await measureDescent(spec, w, timing);
      ours.push(r);
      const owned = spec.key === 'adam' ? stepTargets.find((t) => t.workload === w.label) : undefined;
      const versus = owned?.versusBackward ? `  ÷ gradients from backward ${fmt(r.backwardBaseline, 3)} ns/param, timed beside it ${fmt(stepTargetRatio(owned, ours))}` : '';
      const bound = owned === undefined ? '' : owned.versusBackward ? `; the copies alone bring it to ${fmt(stepTargetBound(owned, ours))}` : `; the square roots and divisions alone ${fmt(stepTargetBound(owned, ours))}`;
      const target = owned === undefined ? '' : `  (target ≤ ${owned.limit}${owned.versusBackward ? '' : ` ÷floor; the bare fused call ${fmt(ratio(r.fusedKernel, r.floor))}`}${bound})`;
      const arithmetic = r.sqrtDivideFloor === undefined ? '' : `  √÷ floor ${fmt(r.sqrtDivideFloor, 3)}`;
      log(`  ${spec.label.padEnd(34)} ${w.label.padEnd(22)} wasm ${fmt(r.wasm, 3)} ns/param  floor ${fmt(r.floor, 3)}${arithmetic}  ÷floor ${fmt(ratio(r.wasmKernel ?? r.wasm, r.floor))}${versus}${target}  js ${fmt(r.js, 3)}${r.jsNote ? ` (${r.jsNote})` : ''}`);
    }
  }

  const python = torchPython();
  const torchHere = withPeers && torchAvailable(python);
  // descent's wasm MLP at 1 and 2 threads in fresh processes, each with PyTorch's MLP trainer beside it: each of descent's epochs paired with one of PyTorch's.
  const pairedJob: FreshJob = { kind: 'mlp', backend: 'wasm', config: { ...mlpConfig, reps: pairedRounds }, threadCounts: TORCH_THREADS, ...(torchHere ? { torchPython: python } : {}) };
  const pairedRuns: MlpMeasurement[] = [];
  for (let k = 1; k <= pairedProcesses; k++) {
    const run = inFreshProcess(pairedJob, `MLP, 1 and 2 threads, ${pairedRounds} rounds${torchHere ? ', each epoch paired with one of PyTorch\'s' : ''}, process ${k} of ${pairedProcesses}`);
    if (run?.mlp !== undefined) pairedRuns.push(run.mlp);
  }
  const lostProcesses = pairedProcesses - pairedRuns.length;
  const noPyTorch = !withPeers ? 'peers skipped (--no-peers)' : !torchHere ? `${python.join(' ')} cannot import torch` : lostProcesses > 0 ? `${lostProcesses} of descent's ${pairedProcesses} paired MLP processes failed` : null;
  const torchBest = pairedTorchBest(pairedRuns);
  const descentBest = pairedDescentBest(pairedRuns);
  const pairs = pairedResults(pairedRuns, noPyTorch);
  log(`  MLP 784-256-10 b${mlpConfig.batch} Adam, descent's 'wasm' kernels in the paired runs: ${fmt(descentBest[0], 0)} samples/s on 1 thread, ${fmt(descentBest[1], 0)} on 2 threads (best epochs; kernel parts on the worker: ${partsLine(partsOf(pairedRuns))})`);
  if (torchBest !== null) log(`  PyTorch's MLP in the paired runs: ${TORCH_THREADS.map((threads, t) => `${fmt(torchBest[t], 0)} samples/s on ${threads} thread${threads === 1 ? '' : 's'}`).join(', ')} (best epochs)`);
  for (const p of pairs) log(`  MLP descent ÷ PyTorch, paired, ${p.threads} thread${p.threads === 1 ? '' : 's'}: ${p.ratio === null ? `skipped: ${p.missing}` : `${pairedLine(p.ratio)}: ≥ 1 ${ratioVerdict(p.ratio, 1)}`}`);
  if (pairedMlpOnly) {
    log('(--paired-mlp-only: no report written)');
    return;
  }

  const jsRun = inFreshProcess({ kind: 'mlp', backend: 'js', config: { ...mlpConfig, reps: Math.min(mlpConfig.reps, 3) }, threadCounts: [1] }, "MLP, kernel backend 'js'");
  const relaxedRun = inFreshProcess({ kind: 'mlp', backend: 'wasm', config: mlpConfig, threadCounts: [1] }, 'MLP, relaxed-SIMD build', ['--experimental-wasm-relaxed-simd']);
  const mlp: MlpRuns = {
    js: jsRun?.mlp?.samplesPerSecond[0] ?? null,
    wasm: descentBest[0] ?? null,
    wasm2: descentBest[1] ?? null,
    relaxed: relaxedRun?.matmul === 'relaxed-simd' ? relaxedRun.mlp?.samplesPerSecond[0] ?? null : null,
    partsOnWorkers: partsOf(pairedRuns),
    paired: pairs,
  };
  log(`  MLP, descent samples/s on 1 thread: js kernels ${fmt(mlp.js, 0)}, wasm kernels with relaxed SIMD (Node flag) ${fmt(mlp.relaxed, 0)}`);

  const matmulRun = inFreshProcess({ kind: 'matmul', m: 128, k: 784, n: 256, timing: gemmTiming }, 'matmul 128×784×256, 1 and 2 threads, and the multiply-add peak');
  const matmul = matmulRun?.gflops ?? null;
  log(`  matmul 128×784×256: descent JS ${fmt(matmul?.js, 1)} GFLOP/s, WASM ${fmt(matmul?.wasm, 1)} GFLOP/s (2 threads: ${fmt(matmul?.wasm2, 1)}); WASM SIMD multiply-add peak ${fmt(matmul?.peak, 1)} GFLOP/s`);

  const tfjsOptimizers = specs.filter((s) => s.tfjs !== undefined);
  const tfjsJob = { optimizers: tfjsOptimizers.map((s) => s.tfjs), workloads: dense, reps: timing.reps, warmup: timing.warmup, mlp: mlpConfig };
  const torchJob = {
    optimizers: specs.filter((s) => s.torch !== undefined).map((s) => ({ key: s.key, cls: s.torch!.cls, kwargs: s.torch!.kwargs, sparse: s.sparse === true })),
    workloads: [...dense, ...sparse],
    reps: timing.reps,
    warmup: timing.warmup,
    // Its MLP only stands in for the paired run's PyTorch epochs when those are missing.
    mlp: torchBest === null ? mlpConfig : null,
    threads: TORCH_THREADS,
  };
  const peers: Record<'tfjsCpu' | 'tfjsWasm' | 'torch', PeerRun | null> = { tfjsCpu: null, tfjsWasm: null, torch: null };
  let adapter: AdapterRun | null = null;
  if (withPeers) {
    peers.tfjsCpu = runPeer(process.execPath, [join('bench', 'peers', 'tfjs.cjs')], { ...tfjsJob, backend: 'cpu' }, 'TensorFlow.js cpu');
    peers.tfjsWasm = runPeer(process.execPath, [join('bench', 'peers', 'tfjs.cjs')], { ...tfjsJob, backend: 'wasm' }, 'TensorFlow.js wasm');
    adapter = runPeer(process.execPath, [join('bench', 'tfjs_adapter.mjs')], mlpConfig, 'descent/tfjs adapter against TensorFlow.js\'s own Adam') as unknown as AdapterRun;
    for (const b of adapter.backends ?? []) log(`  tfjs ${b.backend} MLP: own Adam ${fmt(b.own, 0)} samples/s, descent Adam through descent/tfjs ${fmt(b.adapted, 0)} samples/s: adapter ÷ own ${fmt(b.ratio)}`);
    if (torchHere) peers.torch = withPairedMlp(runPeer(python[0]!, [...python.slice(1), '-'], torchJob, `PyTorch CPU (${python.join(' ')})`, readFileSync(join(root, 'bench', 'peers', 'torch_peer.py'), 'utf8')), torchBest);
    else log(`  PyTorch: ${python.join(' ')} cannot import torch; skipped`);
  }

  writeReport(info, ours, mlp, torchBest !== null, matmul, peers, adapter);
}

// ---- report ----
function tfjsKey(optimizer: string): string | undefined {
  return SPECS.find((s) => s.key === optimizer)?.tfjs;
}

function peerFor(run: PeerRun | null, optimizer: string, workload: string, tfjs: boolean): { ns: number; state: number; note: string } | null {
  if (run === null) return null;
  const key = tfjs ? tfjsKey(optimizer) : optimizer;
  const rows = run.results.filter((r) => r.optimizer === key && r.workload === workload);
  if (rows.length === 0) return null;
  const best = rows.reduce((a, b) => (b.nsPerParam < a.nsPerParam ? b : a));
  return { ns: best.nsPerParam, state: best.stateBytesPerParam, note: best.foreach === true ? 'foreach' : best.foreach === false ? 'loop' : '' };
}

function writeReport(info: Record<string, string>, ours: DescentResult[], mlp: MlpRuns, torchMlpPaired: boolean, matmul: { js: number; wasm: number; wasm2: number; peak: number } | null, peers: Record<'tfjsCpu' | 'tfjsWasm' | 'torch', PeerRun | null>, adapter: AdapterRun | null): void {
  const lines: string[] = [];
  const push = (s = ''): void => void lines.push(s);
  push('# Benchmarks');
  push();
  push(`Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` (bench/run.mjs). Every time is the best of at least ${timing.reps} runs (more for fast steps: at least ${timing.minMs} ms of runs) after warm-up runs for as long (so WebAssembly runs in V8's optimizing tier), on one thread unless a row says 2 threads (descent's kernels split across worker threads over shared memory). A TensorFlow.js step that takes seconds (its cpu backend on 16M values) is the best of at least 3 runs, its runs stopping after 3 s.`);
  push();
  push('## Machine');
  push();
  for (const [k, v] of Object.entries(info)) push(`- ${k}: ${v}`);
  if (peers.torch?.version) push(`- PyTorch: ${peers.torch.version} (Debian's python3-torch), optimizer steps at torch.set_num_threads(1), the MLP and the matmul at ${(peers.torch.byThreads ?? []).map((r) => r.threads).join(' and ')} threads; BLAS: ${peers.torch.blas ?? 'unknown'}`);
  if (peers.tfjsWasm?.version) push(`- TensorFlow.js backends: cpu, wasm (${peers.tfjsWasm.backend ?? 'wasm'})`);
  push();
  push('## Optimizer step, ns per parameter (lower is better)');
  push();
  push('One step over every parameter, gradients already computed. *floor*: a WebAssembly SIMD stream that reads and writes');
  push("the same arrays as the optimizer (params, grad, state) with no maths, over descent's own arena, in the same process:");
  push('no optimizer can beat it on this machine. *÷ floor* = descent WASM ÷ floor. *peer ÷ descent* = peer time ÷ descent WASM time');
  push('(above 1: descent is faster). Sparse rows: ns per touched value; WASM includes coalescing the gradient, *÷ floor* uses the kernel alone.');
  push('*√ and ÷ alone*: for the steps that take a square root and a division per 128-bit vector, those alone over the same arena (one thread), timed');
  push('beside the step: where the arrays sit in cache, the divider that computes both bounds the step, not the stream.');
  push('PyTorch: the faster of its per-tensor loop and `foreach=True`.');
  push();
  push('| optimizer | workload | descent WASM | floor | √ and ÷ alone | ÷ floor | descent JS | JS ÷ WASM | tfjs cpu | tfjs wasm | PyTorch | tfjs-wasm ÷ descent | PyTorch ÷ descent | state B/param (descent · PyTorch · tfjs) |');
  push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of ours) {
    const spec = SPECS.find((s) => s.key === r.optimizer)!;
    const tc = peerFor(peers.tfjsCpu, r.optimizer, r.workload, true);
    const tw = peerFor(peers.tfjsWasm, r.optimizer, r.workload, true);
    const pt = peerFor(peers.torch, r.optimizer, r.workload, false);
    const wasmCell = r.wasmKernel === undefined ? fmt(r.wasm, 3) : `${fmt(r.wasm, 3)} (kernel ${fmt(r.wasmKernel, 3)})`;
    const state = [fmt(r.wasmStateBytes, 0), pt ? fmt(pt.state, 0) : '–', tw ? fmt(tw.state, 0) : '–'].join(' · ');
    push(`| ${spec.label} | ${r.workload} | ${wasmCell} | ${fmt(r.floor, 3)} | ${fmt(r.sqrtDivideFloor, 3)} | ${fmt(ratio(r.wasmKernel ?? r.wasm, r.floor))} | ${r.js === null ? `– ${r.jsNote ? `(${r.jsNote})` : ''}` : fmt(r.js, 3)} | ${fmt(ratio(r.js, r.wasm))} | ${fmt(tc?.ns, 3)} | ${fmt(tw?.ns, 3)} | ${pt ? `${fmt(pt.ns, 3)}${pt.note ? ` (${pt.note})` : ''}` : '–'} | ${fmt(ratio(tw?.ns, r.wasm))} | ${fmt(ratio(pt?.ns, r.wasm))} | ${state} |`);
  }
  push();
  push('## MLP 784-256-10, batch 128, Adam: training samples per second (higher is better)');
  push();
  push(`One epoch of ${mlpConfig.samples} random samples (forward, cross-entropy, backward, step), the best epoch. descent runs the code a user writes (nn.Sequential of nn.Linear and nn.ReLU, F.crossEntropy, optim.Adam) under each kernel backend; each of its rows is measured in a Node process of its own (bench/fresh-process.ts), not after the optimizer benchmarks above in the bench's process. Its 'wasm' rows come from the paired runs: ${pairedProcesses} processes one after the other, each of ${pairedRounds} rounds, a round an epoch at 1 thread and one at 2 threads, and beside each of descent's epochs one of PyTorch's at the same thread count (PyTorch's trainer stays up in a process of its own, bench/torch-mlp.ts, and waits while descent trains), descent's first in even rounds and PyTorch's first in odd ones, after a warm-up epoch of each per thread count and process; descent's kernel parts that ran on the worker thread in those epochs: ${partsLine(mlp.partsOnWorkers)}. ${torchMlpPaired ? `PyTorch's rows are its best epochs of the paired runs, so both trainers' rows are the best of ${pairedProcesses * pairedRounds} epochs per thread count, timed at the same moments.` : `PyTorch's rows come from its main run (the MLP first in the process, best of ${mlpConfig.reps} epochs per thread count): the paired runs have no PyTorch epochs.`} The relaxed-SIMD row is the best of ${mlpConfig.reps} epochs on one thread, in a Node process of its own started with the flag. The 'js' row is the best of ${Math.min(mlpConfig.reps, 3)} epochs.`);
  push();
  const torchAt = (threads: number) => peers.torch?.byThreads?.find((r) => r.threads === threads) ?? null;
  const torchMlp1 = torchAt(1)?.mlp?.samplesPerSecond ?? null;
  const torchMlp2 = torchAt(2)?.mlp?.samplesPerSecond ?? null;
  const torchName = peers.torch?.version ? `PyTorch ${peers.torch.version}` : 'PyTorch';
  push(`| trainer | samples/s | ÷ ${torchName} 1 thread | ÷ ${torchName} 2 threads |`);
  push('| --- | ---: | ---: | ---: |');
  const mlpRows: Array<[string, number | null | undefined]> = [
    ["descent, kernel backend 'wasm' (WASM SIMD matmul forward and backward; the default), 1 thread", mlp.wasm],
    ["descent, kernel backend 'wasm', 2 threads (products and the Adam step split across a worker)", mlp.wasm2],
    ["descent, kernel backend 'wasm' with the matmul's relaxed-SIMD build (fused multiply-add: Chrome ≥ 114, Node ≥ 22; here Node 20 with --experimental-wasm-relaxed-simd), 1 thread", mlp.relaxed],
    ["descent, kernel backend 'js' (all JavaScript), 1 thread", mlp.js],
    ['TensorFlow.js wasm', peers.tfjsWasm?.mlp?.samplesPerSecond],
    ['TensorFlow.js cpu', peers.tfjsCpu?.mlp?.samplesPerSecond],
    ...(peers.torch?.byThreads ?? []).map((r): [string, number | null] => [`${torchName} CPU, ${r.threads} thread${r.threads === 1 ? '' : 's'}`, r.mlp?.samplesPerSecond ?? null]),
  ];
  for (const [name, v] of mlpRows) push(`| ${name} | ${fmt(v, 0)} | ${fmt(ratio(v, torchMlp1))} | ${fmt(ratio(v, torchMlp2))} |`);
  push();
  push(`descent ÷ ${torchName}, paired: each pair is one of descent's epochs and PyTorch's beside it at the same thread count, its ratio descent's samples/s ÷ PyTorch's; a drift of the shared machine moves both epochs of a pair alike, where the best-epoch rows above are each at the mercy of their own best moment. Pairs timed in one process still share that process's luck (where its memory landed, what the JIT made of the code): in trials of this comparison, two processes' intervals did not overlap. So a process is one observation: per thread count, each process's geometric mean of its ratios, and the geometric mean of those with its 95 % interval over the processes (Student's t on their logs: exp(mean ± t₀.₉₇₅(n − 1)·sd/√n), n processes); beside it the median and the smallest and largest of all the pairs' ratios. The MLP targets below are judged on the interval: met when its lower bound is ≥ 1, missed when its upper bound is < 1, else inconclusive (bench/paired.ts).`);
  push();
  push('| threads | processes · pairs | each process | geometric mean | 95 % interval | median of pairs | min – max of pairs |');
  push('| ---: | ---: | --- | ---: | --- | ---: | --- |');
  for (const p of mlp.paired) {
    const r = p.ratio;
    push(r === null ? `| ${p.threads} | 0 | – | – | – | – | – (${p.missing}) |` : `| ${p.threads} | ${r.processes} · ${r.pairs} | ${r.processMeans.map((m) => fmt(m, 3)).join(', ')} | ${fmt(r.geometricMean, 3)} | ${fmt(r.lo, 3)} – ${fmt(r.hi, 3)} | ${fmt(r.median, 3)} | ${fmt(r.min, 3)} – ${fmt(r.max, 3)} |`);
  }
  push();
  push(`The matrix product inside (float32, 128 × 784 times 784 × 256, the first layer's forward), GFLOP/s, beside the measured WebAssembly SIMD multiply-add peak (asm/peak.ts, compiled at bench time, not part of the library: a 4 × 8 micro-kernel's inner loop over operands in L1, f32x4 mul + add; the ceiling of any WASM SIMD product without relaxed-SIMD FMA, which Node 20 lacks by default). The product on 1 thread, on 2 threads and a run of the peak loop take turns for at least ${gemmTiming.minMs} ms, in a Node process of its own (bench/fresh-process.ts); each is the best of its turns:`);
  push();
  push(`| descent JS \`gemm\` | descent WASM SIMD \`wasmGemm\` | the same, 2 threads | WASM SIMD peak (1 thread) | descent ÷ peak | ${(peers.torch?.byThreads ?? []).map((r) => `${torchName} ${r.threads} thread${r.threads === 1 ? '' : 's'}`).join(' | ')} |`);
  push(`| ---: | ---: | ---: | ---: | ---: |${(peers.torch?.byThreads ?? []).map(() => ' ---: |').join('')}`);
  push(`| ${fmt(matmul?.js, 1)} | ${fmt(matmul?.wasm, 1)} | ${fmt(matmul?.wasm2, 1)} | ${fmt(matmul?.peak, 1)} | ${fmt(ratio(matmul?.wasm, matmul?.peak))} |${(peers.torch?.byThreads ?? []).map((r) => ` ${fmt(r.matmulGflops, 1)} |`).join('')}`);
  push();
  if (adapter?.backends) {
    push(`The TensorFlow.js adapter's cost: the same MLP as a \`tf.LayersModel\` (${adapter.samples} random samples, batch ${adapter.batch}, \`model.fit\`, best of ${adapter.reps} epochs, the two optimizers alternating in one process), trained by TensorFlow.js's own Adam and by descent's Adam through \`descent/tfjs\` (which copies each gradient in and each new value out):`);
    push();
    push('| tfjs backend | tfjs Adam, samples/s | descent Adam via descent/tfjs, samples/s | adapter ÷ tfjs Adam |');
    push('| --- | ---: | ---: | ---: |');
    for (const b of adapter.backends) push(`| ${b.backend} | ${fmt(b.own, 0)} | ${fmt(b.adapted, 0)} | ${fmt(b.ratio)} |`);
    push();
  }
  if (peers.torch?.blas?.includes('blas/libblas.so')) {
    push(`This PyTorch calls ${peers.torch.blas}: Debian's reference BLAS, not OpenBLAS: it is no fair peer for the MLP and the matmul. Set up PyTorch 2.14 with OpenBLAS (../shared/NOTES.md) and point DESCENT_TORCH_PYTHON at it.`);
    push();
  }
  push('## Targets');
  push();
  push('| workload | measured | target | |');
  push('| --- | ---: | ---: | --- |');
  const target = (label: string, value: number | null, limit: number, higherIsBetter = false, bound = ''): void => {
    const met = value !== null && (higherIsBetter ? value >= limit : value <= limit);
    push(`| ${label} | ${fmt(value)} | ${higherIsBetter ? '≥' : '≤'} ${limit} | ${value === null ? 'not measured' : met ? 'met' : `missed${bound}`} |`);
  };
  const result = (key: string, workload: string) => ours.find((x) => x.optimizer === key && x.workload === workload);
  const floorRatio = (key: string, workload: string): number | null => {
    const r = result(key, workload);
    return r ? ratio(r.wasmKernel ?? r.wasm, r.floor) : null;
  };
  for (const p of mlp.paired) {
    const label = p.threads === 1 ? `MLP 784-256-10 b128 Adam, samples/s, descent ÷ ${torchName} + ${peers.torch?.blas ?? 'its BLAS'}, 1 thread each, paired epochs` : `the same, ${p.threads} threads each`;
    const r = p.ratio;
    push(r === null ? `| ${label} | – | ≥ 1 | not measured: ${p.missing} |` : `| ${label} | ${fmt(r.geometricMean, 3)} [${fmt(r.lo, 3)}, ${fmt(r.hi, 3)}] over ${r.processes} processes (${r.pairs} pairs, min–max ${fmt(r.min, 3)}–${fmt(r.max, 3)}) | ≥ 1 (95 % interval) | ${ratioVerdict(r, 1)} |`);
  }
  target(`Adam ${dense[0]!.label}, 1 thread ÷ floor`, floorRatio('adam', dense[0]!.label), 1.25);
  target(`Adam ${dense[0]!.label}, 2 threads ÷ the 2-thread floor (cut as the step is)`, floorRatio('adam', adamTwoThreads.label), 1.25);
  for (const t of stepTargets) {
    const bound = stepTargetBound(t, ours);
    const why = bound === null ? '' : t.versusBackward
      ? `; the copies into the arena alone, added to the step on backward's gradients, give ${fmt(bound)}`
      : `; the square root and division per vector alone, over the same arena, take ${fmt(bound)}× the floor`;
    target(t.label, stepTargetRatio(t, ours), t.limit, false, why);
  }
  target('GEMM 128×784×256 ÷ measured WASM SIMD multiply-add peak', ratio(matmul?.wasm, matmul?.peak), 0.7, true);
  for (const r of ours) {
    if (r.optimizer === 'adam') continue;
    target(`${SPECS.find((s) => s.key === r.optimizer)!.label} ${r.workload}, descent ÷ floor`, ratio(r.wasmKernel ?? r.wasm, r.floor), 1.5);
  }
  push();
  push('## Notes');
  push();
  push(`- Load average when the run started: ${info['load average at start']}. On a shared machine the absolute numbers move by tens of percent between runs; ratios measured in the same process (÷ floor) move less.`);
  push(`- ${dense[1]!.label} is ${((dense[1]!.count * dense[1]!.size * 16) / 2 ** 20).toFixed(1)} MiB of params, grads and two state arrays: it stays in L2 between steps, so its floor runs at cache speed and the fused kernels become arithmetic-bound (a square root and a division per 128-bit vector for most optimizers, plus the per-step JavaScript that finds the params with gradients). ${dense[0]!.label} is the memory-bound case the floor was made for.`);
  push(`- Adam ${assignLegend}`);
  push("- The peers run in their own processes, at other moments than descent and its floor: compare them with descent through the ratio columns, with the noise of a shared machine in mind. The MLP targets are the exception: there PyTorch's epochs and descent's are timed in turn and compared pair by pair.");
  for (const [name, run] of Object.entries(peers)) if (run?.error) push(`- ${name} failed: ${run.error}`);
  if (!withPeers) push('- Peers skipped (--no-peers).');
  else if (peers.torch === null) push(`- PyTorch skipped: ${torchPython().join(' ')} cannot import torch.`);
  const text = lines.join('\n') + '\n';
  writeFileSync(outFile, text);
  log('');
  log(text);
  log(`wrote ${outFile}`);
}

await main();

/**
 * The `descent` command line:
 *
 *   descent list                         optimizers, one line each
 *   descent describe <optimizer>         algorithm box, options and defaults, reference
 *   descent run --optimizer adam ...     one trajectory on a surface, as CSV or JSON
 *   descent race [--quick|--full] ...    every optimizer, the lecture's table and its claims
 *   descent playground [--port n]        the playground in the browser (built if needed)
 *
 * `main` takes the arguments and the streams and returns the exit status, so tests run the
 * CLI in-process: 0 on success, 2 for a usage error (message on stderr, listing what is
 * valid), 1 for anything else that fails.
 */
import { Command, CommanderError, Option } from 'commander';
import { surfaceNames } from '../surfaces/index.js';
import { listText, describeText } from './commands/info.js';
import { planTrajectory, streamTrajectory, RUN_FORMATS } from './commands/run.js';
import { allOptionFlags, flagSyntax, optimizerIds } from './flags.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { raceEntryIds, CLAIMS } from '../race/index.js';
import { UsageError } from './errors.js';
import { raceCommand, type RaceFlags } from './commands/race.js';
import { Progress, type ProgressSink } from './progress.js';
import { servePlayground, parsePort } from './commands/playground.js';

export interface CliStream extends ProgressSink {
  write(text: string): unknown;
}

export interface CliIO {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
}

const USAGE_ERROR = 2;

/** What a stream that can fall behind or go away offers (Node's stdout does; a test's stub need not). */
interface EventfulStream {
  on(event: string, listener: (error?: Error) => void): unknown;
  off(event: string, listener: (error?: Error) => void): unknown;
}

function isEventful(stream: CliStream): stream is CliStream & EventfulStream {
  return typeof (stream as Partial<EventfulStream>).on === 'function' && typeof (stream as Partial<EventfulStream>).off === 'function';
}

/** Thrown when the reader of stdout went away (`descent run | head`): the run stops quietly. */
class ReaderGone extends Error {}

/**
 * Writes a long output chunk by chunk: waits while the reader is behind ('drain'), lets pending
 * I/O events in between chunks, and stops with ReaderGone once the stream has failed (EPIPE).
 * Without the pause, a synchronous loop would never see the failure and queue output forever.
 */
async function writeChunks(stream: CliStream, produce: (write: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  if (!isEventful(stream)) {
    await produce(async (text) => void stream.write(text));
    return;
  }
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const onError = (error?: Error): void => {
    failure = error ?? new Error('output stream failed');
    wake?.();
  };
  const onDrain = (): void => wake?.();
  stream.on('error', onError);
  stream.on('drain', onDrain);
  try {
    await produce(async (text) => {
      if (failure) throw new ReaderGone(String(failure));
      const flowing = stream.write(text);
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (flowing !== false) setImmediate(resolve);
      });
      wake = null;
      if (failure) throw new ReaderGone(String(failure));
    });
  } finally {
    stream.off('error', onError);
    stream.off('drain', onDrain);
  }
}

function buildProgram(io: CliIO): Command {
  const program = new Command('descent')
    .description('Gradient-based optimizers with PyTorch names and numbers, and a race that checks a lecture\'s claims about them.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(commands: list, describe, run, race, playground; `descent <command> --help` lists its options)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('list')
    .description('list the optimizers, one line each')
    .action(() => {
      io.stdout.write(listText() + '\n');
    });

  program
    .command('describe')
    .description('show an optimizer: its algorithm box, options with defaults, and reference')
    .argument('<optimizer>', `one of: ${optimizerIds().join(', ')}`)
    .action((name: string) => {
      io.stdout.write(describeText(name) + '\n');
    });

  const run = program
    .command('run')
    .description('run one optimizer on a 2-D surface and print its trajectory')
    .requiredOption('--optimizer <id>', `one of: ${optimizerIds().join(', ')}`)
    .option('--base <id>', 'for a wrapper (lookahead, sam): the optimizer it wraps')
    .option('--surface <name>', `one of: ${surfaceNames.join(', ')}`, 'rosenbrock')
    .option('--lr <number>', "learning rate (default: the optimizer's PyTorch default)")
    .option('--steps <n>', 'optimizer steps', '500')
    .addOption(new Option('--format <format>', 'output format').choices([...RUN_FORMATS]).default('csv'))
    .option('--start <x,y>', "start point (default: the surface's)");
  for (const { spec, users } of allOptionFlags()) {
    if (spec.name === 'lr') continue;
    run.option(flagSyntax(spec), `${spec.description} (${users.join(', ')})`);
  }
  run.action(async (options: Record<string, unknown>) => {
    const { optimizer, base, surface, lr, steps, format, start, ...optimizerFlags } = options as Record<string, string | undefined> & Record<string, unknown>;
    const plan = planTrajectory({
      optimizer: optimizer as string,
      base: base as string | undefined,
      surface: surface as string,
      lr: lr as string | undefined,
      steps: steps as string,
      format: format as string,
      start: start as string | undefined,
      optimizerFlags,
    });
    await writeChunks(io.stdout, (write) => streamTrajectory(plan, format as string, write));
  });

  program
    .command('race')
    .description("race every optimizer on surfaces and real tasks over several seeds; print the lecture's table and its claims with verdicts; write an HTML report")
    .option('--quick', 'small budget (3 seeds; about 20 s on 2 cores)')
    .option('--full', 'large budget for 20 min on 2 cores (10 seeds, 20 for claim 9; longer runs, finer lr grids; claim 9\'s decoupling check)')
    .option('--seed <n>', 'the first seed; the others follow it', '0')
    .option('--seeds <n>', 'how many seeds (default: 3 quick, 5 default, 10 full)')
    .option('--workers <n>', 'worker threads running trials (default: the number of cores)')
    .option('--optimizers <list>', `comma-separated subset of: ${raceEntryIds().join(', ')}`)
    .option('--claims <list>', `comma-separated subset of: ${CLAIMS.map((c) => c.id).join(', ')}`)
    .option('--out <dir>', 'where report.html and the SVG figures go', 'race-out')
    .option('--json', 'also write results.json')
    .action(async (options: RaceFlags) => {
      await raceCommand(options, new Progress(io.stderr), packageVersion(), io.stdout);
    });

  program
    .command('playground')
    .description('serve the playground (every optimizer live on the surfaces) on localhost, building it first if needed')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '5178')
    .option('--no-open', 'do not open a browser')
    .action(async (options: { port: string; open: boolean }) => {
      await servePlayground({ port: parsePort(options.port), open: options.open, log: (line) => io.stdout.write(line + '\n') });
    });

  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit status. */
export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return USAGE_ERROR;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (unknown option, missing argument, ...).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return USAGE_ERROR;
    }
    if (error instanceof ReaderGone) return 0;
    if (error instanceof UsageError) {
      io.stderr.write(`descent: error: ${error.message}\n`);
      return USAGE_ERROR;
    }
    io.stderr.write(`descent: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

let version: string | null = null;

/** The version in descent's package.json (found by walking up from this module). */
export function packageVersion(): string {
  if (version !== null) return version;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'descent' && typeof manifest.version === 'string') return (version = manifest.version);
    } catch {
      // no package.json here: keep climbing
    }
    if (path.dirname(dir) === dir) return (version = 'unknown');
  }
}

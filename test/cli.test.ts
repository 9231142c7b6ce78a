/**
 * The `descent` command line, run in-process: what `list`, `describe` and `run` print, and
 * that every mistake (unknown optimizer or surface, invalid value) exits with status 2 and a
 * message on stderr that lists what is valid.
 */
import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import { optimizerSpecs, wrapperSpecs } from '../src/optim/registry.js';
import { surfaces, getSurface } from '../src/surfaces/index.js';
import { assertAllclose } from './helpers/allclose.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  });
  return { code, stdout, stderr };
}

describe('descent list', () => {
  it('prints one line per registry optimizer and wrapper, with its summary', async () => {
    const { code, stdout, stderr } = await cli('list');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const spec of [...optimizerSpecs, ...wrapperSpecs]) {
      const line = stdout.split('\n').find((l) => l.startsWith(`${spec.id} `));
      expect(line, `a line for ${spec.id}`).toBeDefined();
      expect(line).toContain(spec.summary);
    }
  });
});

describe('descent describe', () => {
  it("shows Adam's algorithm box, its options with PyTorch's defaults, and the paper", async () => {
    const { code, stdout } = await cli('describe', 'adam');
    expect(code).toBe(0);
    expect(stdout).toContain('mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ');
    expect(stdout).toMatch(/--lr <number>\s+0\.001/);
    expect(stdout).toMatch(/--betas <b1,b2>\s+0\.9,0\.999/);
    expect(stdout).toMatch(/--eps <number>\s+1e-8/);
    expect(stdout).toContain('Kingma, Ba (2015). Adam: A Method for Stochastic Optimization.');
    expect(stdout).toContain('8 bytes per float32 parameter');
  });

  it("shows PyTorch 2.x's defaults, as SGD's learning rate 1e-3", async () => {
    const { stdout } = await cli('describe', 'SGD');
    expect(stdout).toMatch(/--lr <number>\s+0\.001\b/);
  });

  it('describes a wrapper with the optimizer it wraps by default', async () => {
    const { code, stdout } = await cli('describe', 'lookahead');
    expect(code).toBe(0);
    expect(stdout).toMatch(/--base <id>\s+adam/);
    expect(stdout).toMatch(/--k <number>\s+6/);
  });
});

describe('descent run', () => {
  it('prints a CSV trajectory whose first step is plain gradient descent on the analytic gradient', async () => {
    const { code, stdout } = await cli('run', '--optimizer', 'sgd', '--lr', '0.001', '--surface', 'rosenbrock', '--steps', '3');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('step,x,y,value');
    expect(lines).toHaveLength(5);
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    // From (−1.2, 1): ∇f = (−2(1 − x) − 400x(y − x²), 200(y − x²)) = (−215.6, −88), so
    // one SGD step of 0.001 lands at (−1.2 + 0.2156, 1 + 0.088).
    const [gx, gy] = Array.from(getSurface('rosenbrock').gradient(-1.2, 1));
    assertAllclose([gx!, gy!], [-215.6, -88], { rtol: 1e-12 }, 'Rosenbrock gradient at the start');
    assertAllclose(rows[1]!.slice(1, 3), [-1.2 + 0.001 * 215.6, 1 + 0.001 * 88], { rtol: 1e-12 }, 'first SGD step');
    assertAllclose([rows[0]![3]!], [24.2], { rtol: 1e-12 }, 'f at the start');
  });

  it('prints JSON with the options used, and passes optimizer flags through', async () => {
    const { code, stdout } = await cli('run', '--optimizer', 'sgd', '--lr', '0.01', '--momentum', '0.9', '--nesterov', '--surface', 'ill-conditioned', '--steps', '20', '--format', 'json');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { options: Record<string, unknown>; surface: string; points: Array<{ value: number }> };
    expect(parsed.options).toEqual({ lr: 0.01, momentum: 0.9, nesterov: true });
    expect(parsed.surface).toBe('ill-conditioned');
    expect(parsed.points).toHaveLength(21);
    expect(parsed.points[20]!.value).toBeLessThan(parsed.points[0]!.value);
  });

  it('runs a wrapper around its default base', async () => {
    const { code, stdout } = await cli('run', '--optimizer', 'sam', '--lr', '0.001', '--rho', '0.01', '--steps', '2', '--format', 'json');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { optimizer: string; base: string; options: Record<string, unknown> };
    expect(parsed).toMatchObject({ optimizer: 'sam', base: 'sgd', options: { lr: 0.001, rho: 0.01 } });
  });

  it('streams the path: 1e9 steps start printing at once, holding a few thousand points at most', async () => {
    // The first write must come long before a billion steps, and without a billion-point array.
    const chunks: string[] = [];
    const arrayBytesBefore = process.memoryUsage().arrayBuffers;
    const code = await main(['run', '--optimizer', 'sgd', '--lr', '0.001', '--steps', '1e9'], {
      stdout: {
        write: (text: string) => {
          if (chunks.length === 2) throw new Error('reader went away'); // after the header and one chunk of points
          return chunks.push(text);
        },
        isTTY: false,
      },
      stderr: { write: () => true, isTTY: false },
    });
    expect(code).toBe(1);
    expect(process.memoryUsage().arrayBuffers - arrayBytesBefore).toBeLessThan(64 * 2 ** 20);
    const lines = chunks.join('').trim().split('\n');
    expect(lines[0]).toBe('step,x,y,value');
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.length).toBeLessThan(10_000);
  });

  it('stops quietly, with status 0, when the reader of stdout goes away (descent run | head)', async () => {
    // A stream that fails its third write the way a closed pipe does: the error arrives as an event.
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        writes += 1;
        callback(writes < 3 ? null : Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let stderr = '';
    const code = await main(['run', '--optimizer', 'sgd', '--lr', '0.001', '--steps', '1e9'], { stdout: stdout as never, stderr: { write: (s: string) => (stderr += s) } });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(writes).toBe(3);
  });

  it('writes valid JSON with diverged last when a run blows up', async () => {
    const { code, stdout } = await cli('run', '--optimizer', 'sgd', '--lr', '10', '--surface', 'rosenbrock', '--steps', '1e3', '--format', 'json');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { steps: number; diverged: boolean; points: Array<{ step: number }> };
    expect(parsed.steps).toBe(1000);
    expect(parsed.diverged).toBe(true);
    expect(parsed.points.length).toBeLessThan(1000);
    expect(parsed.points.map((p) => p.step)).toEqual(parsed.points.map((_, i) => i));
  });

  it('uses the optimizer\'s own default learning rate when --lr is absent', async () => {
    const { stdout } = await cli('run', '--optimizer', 'adam', '--steps', '1', '--format', 'json');
    expect((JSON.parse(stdout) as { options: { lr: number } }).options.lr).toBe(0.001);
  });
});

describe('descent errors', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown optimizer', ['run', '--optimizer', 'adamm'], /unknown optimizer "adamm"; valid: sgd, adagrad, .*adam, adamw, .*lookahead, sam/],
    ['unknown surface', ['run', '--optimizer', 'adam', '--surface', 'banana'], new RegExp(`unknown surface "banana"; valid: ${surfaces.map((s) => s.name).join(', ')}`)],
    ['unknown optimizer to describe', ['describe', 'nope'], /unknown optimizer "nope"; valid: sgd,/],
    ['a flag the optimizer does not take', ['run', '--optimizer', 'adam', '--momentum', '0.9'], /--momentum does not apply to adam; it takes --lr, --betas, --eps, --weight-decay, --amsgrad, --maximize/],
    ['a number that is not one', ['run', '--optimizer', 'adam', '--lr', 'fast'], /invalid value "fast" for --lr: expected a number ≥ 0/],
    ['a beta out of range', ['run', '--optimizer', 'adam', '--betas', '0.9,1'], /invalid value 1 for --betas \(beta 2\): valid values are in \[0, 1\)/],
    ['a malformed pair', ['run', '--optimizer', 'adam', '--betas', '0.9'], /expected two numbers "b1,b2"/],
    ['a negative option', ['run', '--optimizer', 'sgd', '--lr', '0.1', '--momentum', '-1'], /invalid value -1 for --momentum: valid values are ≥ 0/],
    ['the optimizer\'s own check', ['run', '--optimizer', 'sgd', '--lr', '0.1', '--nesterov'], /Nesterov momentum requires a momentum and zero dampening/],
    ['a choice not offered', ['run', '--optimizer', 'lbfgs', '--line-search-fn', 'wolfe'], /invalid value "wolfe" for --line-search-fn; valid: null, strong_wolfe/],
    ['a sparse-only optimizer on a surface', ['run', '--optimizer', 'sparseadam'], /sparseadam takes row-sparse gradients only.*use one of: sgd,/],
    ['zero steps', ['run', '--optimizer', 'adam', '--steps', '0'], /invalid value "0" for --steps: expected a positive integer/],
    ['too many steps', ['run', '--optimizer', 'adam', '--steps', '1e10'], /invalid value "1e10" for --steps: at most 1,000,000,000 steps/],
    ['a fractional step count', ['run', '--optimizer', 'adam', '--steps', '2.5e0'], /invalid value "2.5e0" for --steps: expected a positive integer/],
    ['an unknown format', ['run', '--optimizer', 'adam', '--format', 'xml'], /Allowed choices are csv, json/],
    ['an unknown race optimizer', ['race', '--quick', '--optimizers', 'adam,lion'], /unknown optimizer "lion" in --optimizers; valid: sgd, momentum, nesterov, adagrad/],
    ['two budgets', ['race', '--quick', '--full'], /--quick and --full cannot be combined/],
    ['a seed that is not an integer', ['race', '--seed', '1.5'], /invalid value "1.5" for --seed: expected a non-negative integer/],
    ['an unknown command', ['sprint'], /unknown command 'sprint'[\s\S]*commands: list, describe, run, race/],
    ['an unknown flag', ['run', '--optimizer', 'adam', '--frobnicate', '1'], /unknown option '--frobnicate'/],
  ];
  it.each(cases)('%s exits 2 with a message on stderr', async (_name, argv, message) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('prints the usage on stderr and exits 2 without a command', async () => {
    const { code, stderr } = await cli();
    expect(code).toBe(2);
    expect(stderr).toMatch(/Usage: descent/);
  });

  it('exits 0 for --help', async () => {
    const { code, stdout } = await cli('run', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/--weight-decay <number>/);
  });
});

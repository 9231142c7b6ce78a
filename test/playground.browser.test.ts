/**
 * The playground in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
 * .ci/run) driven by playwright-core; never a browser download. The page is built (when stale)
 * and served by the same code as `descent playground`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildPlayground, playgroundStale, staticServer } from '../src/cli/commands/playground.js';
import { getOptimizerSpec } from '../src/optim/registry.js';
import { getSurface } from '../src/surfaces/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { kernelBackend } from '../src/wasm/backend.js';
import { assertAllclose } from './helpers/allclose.js';
import { raceEntry } from '../src/race/entries.js';
import { lrGrid } from '../src/race/sweep.js';
import { BUDGETS } from '../src/race/budget.js';

const root = resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT = join(root, 'test', 'output');

interface PageHandle {
  backend: string;
  threads: number;
  state(): { surface: string; start: [number, number]; shown: string[]; options: Record<string, Record<string, unknown>>; noise: number; seed: number; speed: number; steps: number };
  step(count: number): void;
  trajectory(id: string): [number, number][] | null;
  explain(id: string, t: number): void;
}

declare global {
  interface Window {
    playground: PageHandle;
  }
}

let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  if (playgroundStale(root)) await buildPlayground(root);
  server = staticServer(join(root, 'playground', 'dist'));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_FLAGS });
  mkdirSync(OUTPUT, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
});

/** Opens the page at `hash`; collects console errors and uncaught exceptions. */
async function open(hash = '', viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(base + hash);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20_000 });
  return { page, errors };
}

/** The library in Node: the optimizer over x and y as two float32 parameters, f's gradient by closure. */
function nodeTrajectory(optimizer: string, options: Record<string, unknown>, surfaceName: string, start: [number, number], steps: number): [number, number][] {
  const surface = getSurface(surfaceName);
  const x = new Tensor(Float32Array.of(start[0]), [1], { requiresGrad: true });
  const y = new Tensor(Float32Array.of(start[1]), [1], { requiresGrad: true });
  const step = getOptimizerSpec(optimizer).create([x, y], options);
  const g: [number, number] = [0, 0];
  const points: [number, number][] = [];
  for (let t = 0; t < steps; t++) {
    step.step(() => {
      surface.gradient(x.data[0]!, y.data[0]!, g);
      x.grad = new Tensor(Float32Array.of(g[0]), [1]);
      y.grad = new Tensor(Float32Array.of(g[1]), [1]);
      return surface.value(x.data[0]!, y.data[0]!);
    });
    points.push([x.data[0]!, y.data[0]!]);
  }
  return points;
}

describe('the playground in Chromium', () => {
  it('loads with no console errors, on the WebAssembly kernels, and saves a screenshot', async () => {
    const { page, errors } = await open();
    expect(await page.evaluate(() => window.playground.backend)).toBe('wasm');
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('wasm');
    // Served with COOP/COEP, the page may share memory with workers: the kernels use every core.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = await page.evaluate(() => window.playground.threads);
    if (cores >= 2) expect(threads).toBe(Math.min(cores, 64));
    else expect(threads).toBe(1);
    await page.evaluate(() => window.playground.step(120));
    await page.screenshot({ path: join(OUTPUT, 'playground-1280x800.png') });
    expect(await page.isHidden('#notes')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('steps two optimizers 50 times exactly as the library does in Node', async () => {
    const options = { adam: { lr: 0.02 }, momentum: { lr: 0.0005, momentum: 0.8 } };
    const { page, errors } = await open('#surface=beale&start=1,1.5&show=adam,momentum&adam.lr=0.02&momentum.lr=0.0005&momentum.momentum=0.8');
    await page.evaluate(() => window.playground.step(50));
    const adam = await page.evaluate(() => window.playground.trajectory('adam'));
    const momentum = await page.evaluate(() => window.playground.trajectory('momentum'));
    expect(kernelBackend()).toBe('wasm');
    // Both sides run the same float32 WebAssembly kernels, so the points agree to the bit.
    expect(adam).toEqual(nodeTrajectory('adam', options.adam, 'beale', [1, 1.5], 50));
    expect(momentum).toEqual(nodeTrajectory('sgd', options.momentum, 'beale', [1, 1.5], 50));
    // and the runs went somewhere: Beale's value fell from its start
    const beale = getSurface('beale');
    const [ax, ay] = adam!.at(-1)!;
    expect(beale.value(ax!, ay!)).toBeLessThan(beale.value(1, 1.5) / 2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("explains Adam's step with the numbers a direct computation gives", async () => {
    const { page, errors } = await open('#surface=rosenbrock&start=-1.2,1&show=adam&adam.lr=0.05');
    await page.evaluate(() => window.playground.step(8));
    await page.evaluate(() => window.playground.explain('adam', 6));
    const rows = await page.$$eval('#explain-rows tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-key'), [...tr.querySelectorAll('td:not(.meaning)')].map((td) => Number(td.textContent))])));
    const points = (await page.evaluate(() => window.playground.trajectory('adam')))!;
    // Adam by hand in float64 over the page's own points: g at θₜ₋₁ (float32, as handed over),
    // m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
    const surface = getSurface('rosenbrock');
    const [beta1, beta2, eps, lr, t] = [0.9, 0.999, 1e-8, 0.05, 6];
    const m = [0, 0];
    const v = [0, 0];
    let from: [number, number] = [Math.fround(-1.2), 1];
    let g: number[] = [];
    for (let s = 1; s <= t; s++) {
      g = [...surface.gradient(from[0], from[1])].map(Math.fround);
      for (const i of [0, 1]) {
        m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
        v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! ** 2;
      }
      if (s < t) from = points[s - 1]!;
    }
    const mHat = m.map((x) => x / (1 - beta1 ** t));
    const vHat = v.map((x) => x / (1 - beta2 ** t));
    const update = mHat.map((x, i) => (-lr * x) / (Math.sqrt(vHat[i]!) + eps));
    assertAllclose(rows.g!, g, { rtol: 1e-7 }, 'gₜ');
    // float32 state against float64: a few float32 roundings per step
    assertAllclose(rows.m!, m, { rtol: 2e-6 }, 'mₜ');
    assertAllclose(rows.v!, v, { rtol: 2e-6 }, 'vₜ');
    assertAllclose(rows.m_hat!, mHat, { rtol: 2e-6 }, 'm̂ₜ');
    assertAllclose(rows.v_hat!, vHat, { rtol: 2e-6 }, 'v̂ₜ');
    assertAllclose(rows.lr_eff!, vHat.map((x) => lr / (Math.sqrt(x) + eps)), { rtol: 2e-6 }, 'γ/(√v̂ + ε)');
    // θ ~ 1 in float32 (spacing 6e-8) and the step ~ 0.05: the difference keeps ~6 digits
    assertAllclose(rows.update!, update, { rtol: 1e-5, atol: 1e-7 }, 'Δθ');
    expect(await page.textContent('#explain-box')).toContain('m̂ₜ');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('restores the state from the URL hash, and shares it back', async () => {
    const hash = '#surface=himmelblau&start=1,-2&show=adagrad,rmsprop&rmsprop.lr=0.005&rmsprop.alpha=0.9&noise=0.5&seed=7&speed=9&steps=30';
    const { page, errors } = await open(hash);
    const state = await page.evaluate(() => window.playground.state());
    expect(state).toEqual({ surface: 'himmelblau', start: [1, -2], shown: ['adagrad', 'rmsprop'], options: { rmsprop: { lr: 0.005, alpha: 0.9 } }, noise: 0.5, seed: 7, speed: 9, steps: 30 });
    expect(await page.inputValue('#surface-select')).toBe('himmelblau');
    expect(await page.inputValue('#speed')).toBe('9');
    expect((await page.evaluate(() => window.playground.trajectory('rmsprop')))!.length).toBe(30);
    expect(await page.isHidden('#notes')).toBe(true);
    await page.waitForFunction(() => location.hash.includes('rmsprop.alpha=0.9'));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('falls back from a hostile hash with a visible note and no exception', async () => {
    const hostile = '#surface=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&show=adam,evil%3Cscript%3Ealert(1)%3C/script%3E&adam.lr=NaN&adam.betas=2,0.9&steps=99999999&speed=1e9&seed=-3&noise=Infinity&sgd.frobnicate=1';
    const { page, errors } = await open(hostile);
    expect(await page.isVisible('#notes')).toBe(true);
    const notes = await page.textContent('#notes');
    for (const expected of ['unknown surface', 'unknown optimizer', 'lr "NaN"', 'betas', 'steps', 'speed', 'seed', 'noise', 'frobnicate']) expect(notes).toContain(expected);
    expect(await page.$('#notes img, #notes script')).toBeNull();
    const state = await page.evaluate(() => window.playground.state());
    expect(state).toMatchObject({ surface: 'rosenbrock', shown: ['adam'], options: {}, steps: 0, speed: 2, seed: 0, noise: 0 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets a slider reach only the values its option accepts', async () => {
    const { page, errors } = await open('#show=adam');
    await page.click('.contestant:has(input[data-id=adam]) summary');
    const lr = page.locator('input[aria-label^="Adam lr:"]');
    for (const [position, expected] of [['200', 1], ['0', 1e-5]] as const) {
      await lr.fill(position);
      expect((await page.evaluate(() => window.playground.state())).options.adam!.lr).toBe(expected);
    }
    // β₂'s slider ends at the registry's range 0.9999, inside [0, 1)
    await page.locator('input[aria-label^="Adam betas:"][aria-label$="(β₂)"]').fill('200');
    expect((await page.evaluate(() => window.playground.state())).options.adam!.betas).toEqual([0.9, 0.9999]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("picks each lr from the race's sweep grid with the fair button", async () => {
    const { page, errors } = await open('#surface=beale&show=momentum,adam&steps=0');
    await page.click('#fair');
    await page.waitForFunction(() => document.getElementById('fair-status')!.textContent!.startsWith('each lr chosen'));
    const { options } = await page.evaluate(() => window.playground.state());
    for (const id of ['momentum', 'adam']) {
      const grid = lrGrid(raceEntry(id).centerLr.surface, BUDGETS.default.surfaceLrFactors);
      expect(grid, id).toContain(options[id]!.lr);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stops a diverging optimizer alone while the others keep running', async () => {
    const { page, errors } = await open('#surface=rosenbrock&show=sgd,adam&sgd.lr=0.5&adam.lr=0.01');
    await page.evaluate(() => window.playground.step(40));
    const sgd = (await page.evaluate(() => window.playground.trajectory('sgd')))!;
    const adam = (await page.evaluate(() => window.playground.trajectory('adam')))!;
    expect(sgd.length).toBeLessThan(40);
    expect(adam.length).toBe(40);
    expect(await page.textContent('#legend')).toMatch(/SGD: .*stopped at step \d+/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains the MNIST mini-race in a worker and its curves move', async () => {
    const { page, errors } = await open();
    await page.click('#tab-button-mnist');
    expect(await page.isHidden('#tab-surface')).toBe(true);
    await page.click('#mnist-start');
    await page.waitForFunction(() => [...(window.playground as unknown as { mnist: { curves: Map<string, { loss: number[]; accuracy: number[] }> } }).mnist.curves.values()].every((c) => c.loss.length >= 30), undefined, { timeout: 60_000 });
    // the page answers while the worker trains
    expect(await page.evaluate(() => 1 + 1)).toBe(2);
    await page.click('#mnist-stop');
    const curves = await page.evaluate(() => [...(window.playground as unknown as { mnist: { curves: Map<string, { loss: number[]; accuracy: number[] }> } }).mnist.curves].map(([id, c]) => ({ id, loss: c.loss, accuracy: c.accuracy.filter((a) => a !== null) })));
    expect(curves.map((c) => c.id)).toEqual(['sgd', 'momentum', 'adam']);
    for (const { id, loss, accuracy } of curves) {
      const early = loss.slice(0, 5).reduce((a, b) => a + b) / 5;
      const late = loss.slice(25, 30).reduce((a, b) => a + b) / 5;
      // 30 steps of batch 32 from chance (≈ 2.30 = ln 10, 10% accuracy): the loss has begun to
      // fall and the test accuracy has climbed well clear of chance
      expect(late, id).toBeLessThan(early);
      expect(accuracy.at(-1)!, id).toBeGreaterThan(accuracy[0]! + 0.15);
    }
    await page.screenshot({ path: join(OUTPUT, 'playground-mnist.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is usable 390 px wide', async () => {
    const { page, errors } = await open('#show=adam', { width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => window.playground.state().steps)).toBe(2);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => window.playground.state().steps > 10);
    await page.keyboard.press(' ');
    await page.screenshot({ path: join(OUTPUT, 'playground-390.png'), fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  });
});

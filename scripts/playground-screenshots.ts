/**
 * The README's playground screenshots, one per step of the lecture, taken from the built page in
 * Debian's Chromium: `npx tsx scripts/playground-screenshots.ts [--out docs]`.
 * Each scene is a link (the URL hash), a number of steps, and the step the panel explains.
 */
import { join, resolve } from 'node:path';
import { mkdirSync, statSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { buildPlayground, playgroundStale, staticServer } from '../src/cli/commands/playground.js';

interface Scene {
  readonly file: string;
  readonly hash: string;
  readonly steps: number;
  readonly explain?: readonly [string, number];
  /** Show the momentum lab (computed) instead of the surfaces. */
  readonly lab?: boolean;
}

export const SCENES: readonly Scene[] = [
  { file: 'playground-sgd.png', hash: '#surface=ill-conditioned&show=sgd&sgd.lr=0.075', steps: 40, explain: ['sgd', 12] },
  { file: 'playground-momentum.png', hash: '#surface=ill-conditioned&show=sgd,momentum&sgd.lr=0.075&momentum.lr=0.02&momentum.momentum=0.8', steps: 60, explain: ['momentum', 20] },
  { file: 'playground-lab.png', hash: '', steps: 0, lab: true },
  { file: 'playground-adagrad.png', hash: '#surface=rosenbrock&show=adagrad,rmsprop&adagrad.lr=0.5&rmsprop.lr=0.01', steps: 800, explain: ['adagrad', 800] },
  { file: 'playground-rmsprop.png', hash: '#surface=rosenbrock&show=adagrad,rmsprop&adagrad.lr=0.5&rmsprop.lr=0.01', steps: 800, explain: ['rmsprop', 800] },
  { file: 'playground-adam.png', hash: '#surface=rosenbrock&show=momentum,rmsprop,adam&momentum.lr=0.0005&rmsprop.lr=0.01&adam.lr=0.05', steps: 800, explain: ['adam', 3] },
  { file: 'playground-trends.png', hash: '#surface=rosenbrock&show=radam,lamb,lookahead,sam&radam.lr=0.005&lamb.lr=0.05&lookahead.lr=0.05&lookahead.k=5&sam.lr=0.0005', steps: 400, explain: ['sam', 60] },
  { file: 'playground.png', hash: '#surface=rosenbrock&show=sgd,momentum,adagrad,rmsprop,adam&momentum.lr=0.0005&adagrad.lr=0.5&adam.lr=0.05', steps: 800, explain: ['adam', 40] },
];

/** Tall enough for the surface, its charts and the explain table; small enough for ≤ 150 KB. */
const SHOT_HEIGHT = 800;
const LAUNCH_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function main(): Promise<void> {
  const root = resolve(import.meta.dirname, '..');
  const at = process.argv.indexOf('--out');
  const out = resolve(at > 0 ? process.argv[at + 1]! : join(root, 'docs'));
  mkdirSync(out, { recursive: true });
  if (playgroundStale(root)) await buildPlayground(root);
  const server = staticServer(join(root, 'playground', 'dist'));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: LAUNCH_FLAGS });
  try {
    for (const scene of SCENES) {
      // A device scale under 1 keeps each PNG near 120 KB at a still readable size.
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 0.75 });
      page.on('pageerror', (error) => {
        throw error;
      });
      await page.goto(base + scene.hash);
      await page.waitForSelector('body[data-ready=true]');
      await page.evaluate(({ steps, explain }) => {
        const handle = (globalThis as unknown as { playground: { step(n: number): void; explain(id: string, t: number): void } }).playground;
        handle.step(steps);
        if (explain) handle.explain(explain[0], explain[1]);
      }, { steps: scene.steps, explain: scene.explain ?? null });
      if (scene.lab) {
        await page.click('#tab-button-lab');
        await page.click('#lab-run');
        // A string: this script is type-checked without the DOM's types.
        await page.waitForFunction("!document.getElementById('lab-run').disabled", undefined, { timeout: 120_000 });
      }
      const path = join(out, scene.file);
      // The surface, the charts and the explained numbers; below them only the rest of the box.
      const main = (await page.locator(scene.lab ? '#tab-lab' : 'main').boundingBox())!;
      await page.screenshot({ path, clip: { x: main.x, y: main.y, width: main.width, height: Math.min(main.height, SHOT_HEIGHT) } });
      process.stdout.write(`${path}: ${Math.round(statSync(path).size / 1024)} KB\n`);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

await main();

/**
 * Builds the playground (`npm run build:playground` → playground/dist): a static site with
 * relative paths, so any static host (or `descent playground`) serves it, offline.
 *
 * The digits for the MNIST tab are cut at build time from the bundled dataset (packages/datasets/data/, made by
 * `npm run build:data`) through the compiled library (dist/, made by `npm run build`): the rows
 * of the seeded split that the race's quick MNIST task reads, as a small safetensors file.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import { CROSS_ORIGIN_ISOLATION } from '../src/platform/isolation.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const DIGITS_FILE = 'digits.safetensors';

interface Split {
  x: { shape: number[]; data: Float32Array };
  y: { data: Float32Array };
}

async function digitsFile(): Promise<Uint8Array> {
  const library = fileURLToPath(new URL('../dist/src/data/index.js', import.meta.url));
  const budgets = fileURLToPath(new URL('../dist/src/race/budget.js', import.meta.url));
  if (!existsSync(library) || !existsSync(budgets)) throw new Error(`playground: ${library} is missing; run \`npm run build\` first`);
  const { loadMnist } = (await import(pathToFileURL(library).href)) as { loadMnist(o: object): { train: Split; test: Split } };
  const { BUDGETS } = (await import(pathToFileURL(budgets).href)) as { BUDGETS: { quick: { mnist: { trainSize: number; validationSize: number; testSize: number; splitSeed: number } } } };
  const task = BUDGETS.quick.mnist;
  const { train, test } = loadMnist({ seed: task.splitSeed, normalize: false });
  const rows = (split: Split, count: number) => {
    const width = split.x.shape[1]!;
    return { pixels: Uint8Array.from(split.x.data.subarray(0, count * width)), labels: Uint8Array.from(split.y.data.subarray(0, count)), width };
  };
  const arrays = { train: rows(train, task.trainSize + task.validationSize), test: rows(test, task.testSize) };
  const header: Record<string, unknown> = { __metadata__: { source: 'descent-datasets/data/mnist.safetensors', split: `loadMnist seed ${task.splitSeed}`, rows: 'the race quick task: train + validation rows, test rows' } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    header[`${name}_pixels`] = { dtype: 'U8', shape: [a.labels.length, a.width], data_offsets: [offset, offset + a.pixels.length] };
    offset += a.pixels.length;
    header[`${name}_labels`] = { dtype: 'U8', shape: [a.labels.length], data_offsets: [offset, offset + a.labels.length] };
    offset += a.labels.length;
    chunks.push(a.pixels, a.labels);
  }
  const json = JSON.stringify(header);
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
  out.set(new TextEncoder().encode(padded), 8);
  let at = 8 + padded.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function digits(): Plugin {
  let cached: Promise<Uint8Array> | null = null;
  const file = (): Promise<Uint8Array> => (cached ??= digitsFile());
  return {
    name: 'descent-digits',
    configureServer(server) {
      server.middlewares.use(`/${DIGITS_FILE}`, (_request, response, next) => {
        file().then((bytes) => {
          response.setHeader('Content-Type', 'application/octet-stream');
          response.end(bytes);
        }, next);
      });
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: await file() });
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [digits()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] }, headers: { ...CROSS_ORIGIN_ISOLATION } },
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION } },
  logLevel: 'warn',
});

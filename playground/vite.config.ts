/**
 * Builds the playground (`npm run build:playground` → playground/dist): a static site with
 * relative paths, so any static host (or `descent playground`) serves it, offline.
 *
 * The digits for the MNIST tab are cut at build time from the bundled dataset file
 * (data/mnist.safetensors, made by `npm run build:data`): the first 1,500 digits, averaged
 * 2 × 2 to 14 × 14 px, as a small safetensors file next to the page.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const DIGITS_FILE = 'digits-14px.safetensors';
const DIGITS_COUNT = 1500;

function digitsFile(): Uint8Array {
  const source = fileURLToPath(new URL('../data/mnist.safetensors', import.meta.url));
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch {
    throw new Error(`playground: ${source} is missing; run \`npm run build:data\` first`);
  }
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const body = bytes.subarray(8 + headerLength);
  const pixels = header.pixels!;
  const labels = header.labels!;
  if (pixels.dtype !== 'U8' || pixels.shape[1] !== 784 || labels.dtype !== 'U8') throw new Error(`playground: ${source} does not hold U8 pixels [N, 784] and U8 labels`);
  const count = Math.min(DIGITS_COUNT, pixels.shape[0]!);
  const image = body.subarray(pixels.data_offsets[0], pixels.data_offsets[1]);
  const small = new Uint8Array(count * 196);
  for (let n = 0; n < count; n++) {
    for (let r = 0; r < 14; r++) {
      for (let c = 0; c < 14; c++) {
        const at = n * 784 + 2 * r * 28 + 2 * c;
        small[n * 196 + r * 14 + c] = Math.round((image[at]! + image[at + 1]! + image[at + 28]! + image[at + 29]!) / 4);
      }
    }
  }
  const smallLabels = body.subarray(labels.data_offsets[0], labels.data_offsets[0] + count);
  const json = JSON.stringify({
    __metadata__: { source: 'data/mnist.safetensors', digits: `first ${count}`, side: '14' },
    pixels: { dtype: 'U8', shape: [count, 196], data_offsets: [0, small.length] },
    labels: { dtype: 'U8', shape: [count], data_offsets: [small.length, small.length + count] },
  });
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded.length + small.length + count);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
  out.set(new TextEncoder().encode(padded), 8);
  out.set(small, 8 + padded.length);
  out.set(smallLabels, 8 + padded.length + small.length);
  return out;
}

function digits(): Plugin {
  let cached: Uint8Array | null = null;
  const file = (): Uint8Array => (cached ??= digitsFile());
  return {
    name: 'descent-digits',
    configureServer(server) {
      server.middlewares.use(`/${DIGITS_FILE}`, (_request, response) => {
        response.setHeader('Content-Type', 'application/octet-stream');
        response.end(file());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: file() });
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [digits()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
  logLevel: 'warn',
});

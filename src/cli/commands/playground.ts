/**
 * `descent playground`: builds the playground when its sources are newer than the build (or
 * it was never built), serves playground/dist on localhost and prints the URL.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { CROSS_ORIGIN_ISOLATION } from '../../platform/isolation.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

/** The descent package's root: the nearest folder above this file with descent's package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'descent') return dir;
    if (dirname(dir) === dir) throw new Error(`descent playground: no descent package.json above ${from}`);
  }
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether playground/dist is missing or older than the page's or the library's sources. */
export function playgroundStale(root: string): boolean {
  const built = join(root, 'playground', 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = [join(root, 'playground', 'src'), join(root, 'playground', 'index.html'), join(root, 'playground', 'vite.config.ts'), join(root, 'src')];
  return Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs;
}

/** Builds playground/dist with Vite (a devDependency: present after `npm ci` in a clone). */
export async function buildPlayground(root: string): Promise<void> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error('descent playground: the playground needs building and Vite is not installed; run `npm ci` in the descent repository, then `npm run build:playground`');
  }
  await vite.build({ configFile: join(root, 'playground', 'vite.config.ts'), logLevel: 'warn' });
}

/** Serves the files under `dir` (GET and HEAD only, nothing outside `dir`), cross-origin isolated. */
export function staticServer(dir: string): Server {
  const base = resolve(dir);
  return createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = resolve(base, '.' + (path.endsWith('/') ? `${path}index.html` : path));
    if ((request.method !== 'GET' && request.method !== 'HEAD') || (file !== base && !file.startsWith(base + sep)) || !existsSync(file) || statSync(file).isDirectory()) {
      response.writeHead(request.method === 'GET' || request.method === 'HEAD' ? 404 : 405, { ...CROSS_ORIGIN_ISOLATION, 'Content-Type': 'text/plain' });
      response.end('not found\n');
      return;
    }
    response.writeHead(200, { ...CROSS_ORIGIN_ISOLATION, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    response.end(request.method === 'HEAD' ? undefined : readFileSync(file));
  });
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid value ${JSON.stringify(text)} for --port: expected an integer in [0, 65535] (0 picks a free port)`);
  return port;
}

export interface ServeOptions {
  readonly port: number;
  readonly open: boolean;
  readonly log: (line: string) => void;
}

/** Builds if needed, serves, prints the URL; resolves once listening with the server and its URL. */
export async function servePlayground({ port, open, log }: ServeOptions): Promise<{ server: Server; url: string }> {
  const root = packageRoot();
  if (playgroundStale(root)) {
    log('building the playground…');
    await buildPlayground(root);
  }
  const server = staticServer(join(root, 'playground', 'dist'));
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'EADDRINUSE' ? new UsageError(`port ${port} is in use; choose another with --port`) : error));
    server.listen(port, '127.0.0.1', () => done());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  log(`descent playground: ${url}  (Ctrl-C stops it)`);
  if (open) openBrowser(url);
  return { server, url };
}

function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  // Without a desktop there is nothing to open; the printed URL is enough.
  const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

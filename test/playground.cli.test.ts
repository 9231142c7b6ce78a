/**
 * `descent playground`: flags checked as usage errors, the page built when stale and served on
 * localhost, and nothing outside playground/dist reachable through the server.
 */
import { describe, it, expect } from 'vitest';
import { request } from 'node:http';
import { main } from '../src/cli/main.js';
import { servePlayground, playgroundStale, packageRoot } from '../src/cli/commands/playground.js';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => (stderr += s), isTTY: false } });
  return { code, stdout, stderr };
}

/** GET with the path sent as written (fetch would normalize '..' away). */
function get(url: string, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((done, fail) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      response.on('end', () => done({ status: response.statusCode!, type: response.headers['content-type'], body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('descent playground', () => {
  it('refuses a port that is not one', async () => {
    for (const port of ['http', '-1', '65536', '80.5']) {
      const { code, stderr } = await cli('playground', '--port', port, '--no-open');
      expect(code, port).toBe(2);
      expect(stderr).toContain(`invalid value "${port}" for --port: expected an integer in [0, 65535]`);
    }
  });

  it('builds when stale, serves the page and the digits, and nothing outside the build', async () => {
    const lines: string[] = [];
    const { server, url } = await servePlayground({ port: 0, open: false, log: (line) => lines.push(line) });
    try {
      expect(playgroundStale(packageRoot())).toBe(false);
      expect(lines.at(-1)).toBe(`descent playground: ${url}  (Ctrl-C stops it)`);
      const page = await get(url, '/');
      expect(page.status).toBe(200);
      expect(page.type).toContain('text/html');
      expect(page.body).toContain('descent playground');
      // offline: no script, style or font from another origin
      expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
      // the race's quick MNIST rows: 1,200 train + 300 validation and 500 test digits of 28 × 28
      const digits = await get(url, '/digits.safetensors');
      expect(digits.status).toBe(200);
      expect(digits.body.length).toBeGreaterThan(2000 * 785);
      for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../vite.config.ts', '/missing.js']) expect((await get(url, path)).status, path).toBe(404);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

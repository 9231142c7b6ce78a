/**
 * Gives the test run a private temp dir (TMPDIR, which `os.tmpdir()` reads in every test worker
 * and child process) and fails the run if a test left anything in it: every test removes what
 * it writes. Tools' own caches (tsx compiles into `tsx-<uid>`) are not leftovers.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOOL_CACHES = /^tsx-\d+$/;

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'descent-test-run-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = readdirSync(dir).filter((name) => !TOOL_CACHES.test(name));
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports an error thrown here but still exits 0, so the status is set directly.
      console.error(`\nFAIL: the tests left ${left.length} entries in the temp dir: ${left.join(', ')}\n`);
      process.exitCode = 1;
    }
  };
}

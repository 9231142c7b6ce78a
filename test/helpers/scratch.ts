/**
 * Scratch directories for tests: one root per test file in the system temp dir, removed after
 * the file's tests, so a test run leaves nothing behind.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Call at a test file's top level; returns a maker of fresh directories inside the file's root,
 * which lies in the system temp dir, or under `parent` (e.g. inside node_modules, where code
 * written there resolves the project's packages).
 */
export function scratchDirs(name: string, parent = tmpdir()): (prefix: string) => string {
  mkdirSync(parent, { recursive: true });
  const root = mkdtempSync(join(parent, `descent-${name}-`));
  // A generous limit: a scratch tree can hold installed packages, and a loaded machine removes them slowly.
  afterAll(() => rmSync(root, { recursive: true, force: true }), 60_000);
  return (prefix) => mkdtempSync(join(root, `${prefix}-`));
}

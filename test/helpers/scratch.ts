/**
 * Scratch directories for tests: one root per test file in the system temp dir, removed after
 * the file's tests, so a test run leaves nothing behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Call at a test file's top level; returns a maker of fresh directories inside the file's root. */
export function scratchDirs(name: string): (prefix: string) => string {
  const root = mkdtempSync(join(tmpdir(), `descent-${name}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return (prefix) => mkdtempSync(join(root, `${prefix}-`));
}

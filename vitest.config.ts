import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/setup/tmpdir.ts'],
    // test/wasm.heap.test.ts collects garbage to see blocks of dropped optimizers come back.
    execArgv: ['--expose-gc'],
    // Test files already run side by side, one per core: their kernels keep to one thread.
    // test/threads.test.ts sets its thread counts itself.
    env: { DESCENT_THREADS: '1' },
  },
});

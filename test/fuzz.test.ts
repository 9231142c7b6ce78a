/**
 * The fuzz suite on a short, seeded budget (`npm run fuzz` runs it at length): every target of
 * test/fuzz/targets.ts draws adversarial inputs (option objects, mutated state dicts, damaged
 * files) and judges each one. No input may crash: a raw engine error, a refusal that changed
 * something, or an accepted input that broke an invariant fails the suite and prints the input.
 */
import { describe, expect, it } from 'vitest';
import { targets } from './fuzz/targets.js';

/** Inputs per target: a few seconds on a loaded machine; the long run is `npm run fuzz`. */
const BUDGET = { seed: 20261203, maxInputs: 400, timeLimitMs: 4_000 };

describe('fuzz (short budget)', () => {
  for (const name of Object.keys(targets)) {
    const target = targets[name]!;
    it(`${name}: no crash`, () => {
      const counts = target(BUDGET);
      console.log(`fuzz ${name}: ${counts.tried} tried, ${counts.refused} refused with a clear error, ${counts.accepted} accepted, ${counts.crashes} crashes`);
      expect(counts.examples.join('\n'), `crashes of ${name}`).toBe('');
      expect(counts.crashes).toBe(0);
      // A budget that drew nothing, or a target that refuses everything, would prove nothing.
      expect(counts.tried).toBeGreaterThan(50);
      expect(counts.accepted).toBeGreaterThan(0);
    });
  }
});

/**
 * Lookahead's synchronization of slow and fast weights (conventions: see ./sgd.ts).
 */
import type { FloatArray } from '../../tensor/tensor.js';

/** slow ← slow + α·(fast − slow);  fast ← slow. */
export function lookaheadSync(fast: FloatArray, slow: FloatArray, n: number, alpha: number): void {
  for (let i = 0; i < n; i++) {
    const s = slow[i]!;
    slow[i] = s + alpha * (fast[i]! - s);
    fast[i] = slow[i]!;
  }
}

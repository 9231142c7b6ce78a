/**
 * End to end: an MLP on Iris trained by the simplest possible update, written here by hand,
 *   W ← W − η · ∂L/∂W,
 * so that the engine (forward, backward, accumulation, zeroing) is tested without any optimizer.
 */
import { describe, it, expect } from 'vitest';
import { manualSeed, nn, F, loadIris, noGrad, Tensor } from '../src/index.js';

describe('Iris MLP with a hand-written gradient step', () => {
  it('reaches at least 95% training accuracy', () => {
    manualSeed(0);
    const { x, y } = loadIris();
    // Standardize each feature: plain gradient descent is sensitive to feature scale.
    const mean = x.mean(0, true);
    const std = x.sub(mean).square().mean(0, true).sqrt();
    const features = x.sub(mean).div(std);

    const model = new nn.Sequential(new nn.Linear(4, 16), new nn.Tanh(), new nn.Linear(16, 3));
    const lr = 0.1;
    let loss = Infinity;
    for (let epoch = 0; epoch < 300; epoch++) {
      model.zeroGrad();
      const l = F.crossEntropy(model.call(features), y);
      l.backward();
      noGrad(() => {
        for (const p of model.parameters()) {
          const g = p.grad as Tensor;
          for (let i = 0; i < p.data.length; i++) p.data[i]! -= lr * g.data[i]!;
        }
      });
      loss = l.item();
    }
    const predicted = noGrad(() => model.call(features).argmax(1));
    const accuracy = predicted.eq(y).mean().item();
    console.log(`Iris: final loss ${loss.toFixed(4)}, training accuracy ${(accuracy * 100).toFixed(1)}%`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

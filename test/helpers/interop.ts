/**
 * What the interop tests share: the model of the PyTorch fixtures (Sequential(Linear(4, 8),
 * ReLU(), Linear(8, 3))), optimizers by class name, and full-batch cross-entropy steps.
 */
import { Tensor, Generator } from '../../src/tensor/index.js';
import { nn, F } from '../../src/index.js';
import * as optim from '../../src/optim/index.js';
import type { StatefulOptimizer } from '../../src/io/torch.js';

export type Trainable = StatefulOptimizer & { step(closure?: () => Tensor): unknown; zeroGrad(): void };

export function mlp(seed?: number): nn.Sequential {
  const generator = seed === undefined ? undefined : new Generator(seed);
  return new nn.Sequential(new nn.Linear(4, 8, { generator }), new nn.ReLU(), new nn.Linear(8, 3, { generator }));
}

/** `new optim[name](model.namedParameters(), options)`. */
export function makeOptimizer(name: string, model: nn.Module, options: Record<string, unknown>): Trainable {
  const Class = (optim as unknown as Record<string, new (params: unknown, options: unknown) => Trainable>)[name];
  if (Class === undefined) throw new Error(`no optimizer ${name}`);
  return new Class(model.namedParameters(), options);
}

/**
 * Full-batch steps (zero grads, cross-entropy mean, backward, step); the loss before each step.
 * L-BFGS gets the same as a closure, which it may call several times a step.
 */
export function train(model: nn.Module, optimizer: { step(closure?: () => Tensor): unknown; zeroGrad(): void }, x: Tensor, y: Tensor, steps: number): number[] {
  const losses: number[] = [];
  const closure = (): Tensor => {
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.call(x) as Tensor, y);
    loss.backward();
    return loss;
  };
  for (let s = 0; s < steps; s++) {
    if (optimizer instanceof optim.LBFGS) losses.push((optimizer.step(closure) as Tensor).item());
    else {
      const loss = closure();
      optimizer.step();
      losses.push(loss.item());
    }
  }
  return losses;
}

/**
 * The package root is the public API: the classes and functions a user writes with. The
 * machinery behind them (the kernel-driven base class, option checks, kernel tables, optimizer
 * specs, schedule shapes, fit's helpers, the op builder) stays in its modules, where the tests,
 * the bench and the playground import it from.
 */
import { describe, it, expect } from 'vitest';
import * as root from '../src/index.js';

const INTERNALS = [
  'advance', 'sample', 'stepShape', 'fromShape', 'optionNames', 'cyclicWave', 'oneCyclePlan', 'warmupCosinePlan', 'swaAlpha', 'annealCos',
  'snakeCase', 'camelCase', 'requireOption', 'checkLearningRate', 'checkBetas', 'checkGradientShape',
  'KernelOptimizer', 'kernels', 'referenceKernels', 'useKernels', 'rpropSpec', 'muonSpec', 'ADAM_DEFAULTS', 'SGD_DEFAULTS',
  'writeFileAtomic', 'Progress', 'formatValue', 'parametersOf', 'unary', 'sumTo', 'GraphNode',
];

describe('the package root', () => {
  it('exports no internals, at the top or in the optim namespace', () => {
    expect(INTERNALS.filter((name) => name in root)).toEqual([]);
    expect(INTERNALS.filter((name) => name in root.optim)).toEqual([]);
  });

  it('exports the public API: tensors, layers, every optimizer, schedules, training and I/O', () => {
    const expected = ['Tensor', 'tensor', 'noGrad', 'nn', 'F', 'optim', 'DataLoader', 'loadIris', 'SGD', 'Adam', 'AdamW', 'LAMB', 'LARS', 'Lookahead', 'SAM', 'Muon', 'LBFGS',
      'clipGradNorm', 'WarmupCosineLR', 'OneCycleLR', 'warmupCosine', 'joinSchedules', 'fit', 'EMA', 'saveCheckpoint', 'saveModel', 'encodeSafetensors', 'setKernelBackend', 'getSurface'];
    expect(expected.filter((name) => !(name in root))).toEqual([]);
    expect(Object.keys(root.optim).sort()).toEqual(
      ['ASGD', 'Adadelta', 'Adafactor', 'Adagrad', 'Adam', 'AdamW', 'Adamax', 'LAMB', 'LARS', 'LBFGS', 'Lookahead', 'Muon', 'NAdam', 'Optimizer', 'RAdam', 'RMSprop', 'Rprop', 'SAM', 'SGD', 'SparseAdam', 'clipGradNorm', 'clipGradValue'].sort(),
    );
  });
});

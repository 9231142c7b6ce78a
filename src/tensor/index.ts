export { Tensor, tensor, scalar, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint } from './tensor.js';
export type { DType, FloatArray, NestedArray, TensorLike, TensorOptions, RandomOptions, IndexLike } from './tensor.js';
export { add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, square, tanh, sigmoid, relu, sign, clamp, eq, ne, lt, le, gt, ge, where } from './elementwise.js';
export { sum, mean, variance, std, max, min, argmax, argmin, norm, logSumExp } from './reduce.js';
export { reshape, flatten, unsqueeze, squeeze, permute, transpose, expand, slice, narrow, select, indexSelect, gather, cat, stack } from './movement.js';
export { matmul, linear } from './linalg.js';
export { SparseRows, sparseRows, isSparse, type Gradient } from './sparse.js';
export { Generator, manualSeed, defaultGenerator, type GeneratorState } from './random.js';
export { numel, broadcastShapes, type Shape } from './shape.js';

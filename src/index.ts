export * from './tensor/index.js';
export { noGrad, enableGrad, isGradEnabled, GraphNode } from './autograd/engine.js';
export * as nn from './nn/index.js';
export * as F from './nn/functional.js';
export * from './data/index.js';
export * as optim from './optim/index.js';
export * from './schedulers/index.js';
export * from './train/index.js';
export * from './optim/index.js';

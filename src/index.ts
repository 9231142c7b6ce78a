export * from './tensor/index.js';
export { noGrad, enableGrad, isGradEnabled, GraphNode } from './autograd/engine.js';

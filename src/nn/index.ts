/** Neural-network layers and helpers (PyTorch's `torch.nn`); `functional.ts` is exported separately as `F`. */
export { Module, ModuleList, type StateDict, type TensorRecord, type LoadStateDictOptions, type LoadStateDictResult, type RegisterBufferOptions } from './module.js';
export { Parameter } from './parameter.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, LogSoftmax, Flatten, Identity } from './activation.js';
export { Dropout, Dropout2d } from './dropout.js';
export { Conv2d, MaxPool2d, AvgPool2d, type Conv2dLayerOptions, type PoolLayerOptions } from './conv.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormLayerOptions, type LayerNormOptions } from './norm.js';
export { Sequential } from './sequential.js';
export * as init from './init.js';
export {
  uniform_,
  normal_,
  constant_,
  zeros_,
  ones_,
  xavierUniform_,
  xavierNormal_,
  kaimingUniform_,
  kaimingNormal_,
  calculateGain,
  computeFans,
  type Nonlinearity,
  type FanMode,
  type KaimingOptions,
} from './init.js';
export { erf, erfc, normalCdf } from './special.js';

/** Byte formats and the files PyTorch shares with descent. */
export { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsFile, type StoredTensor, type StoredArray, type TensorInput, type Dtype } from './safetensors.js';
export {
  saveModel,
  loadModel,
  saveOptimizer,
  loadOptimizer,
  saveModelBytes,
  loadModelBytes,
  saveOptimizerBytes,
  loadOptimizerBytes,
  OPTIMIZER_FORMAT,
  type StatefulOptimizer,
  type SaveOptimizerOptions,
} from './torch.js';

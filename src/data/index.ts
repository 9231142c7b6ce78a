export { TensorDataset, type Dataset, type BatchDataset, type SampleDataset, type Column } from './dataset.js';
export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export { CsrMatrix, csrMatmul, type CsrParts, type CsrMatmulOptions } from './csr.js';
export {
  loadIris,
  loadMnist,
  loadSpam,
  type Iris,
  type MnistOptions,
  type SpamData,
  type Split,
  type SplitOptions,
  type TrainTest,
  type DataLocationOptions,
} from './datasets.js';


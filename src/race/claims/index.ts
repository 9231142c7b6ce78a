/**
 * Every claim of the race, in the report's order. Adding a claim: write its file (see any
 * claim here) and add one line to this list.
 */
import type { AnyClaim } from '../types.js';
import { saddle } from './saddle.js';
import { localMinima } from './local-minima.js';
import { vanishingGradients } from './vanishing-gradients.js';
import { sparseFeatures } from './sparse-features.js';
import { drift } from './drift.js';
import { biasCorrection } from './bias-correction.js';
import { memory } from './memory.js';
import { schedule } from './schedule.js';
import { weightDecay } from './weight-decay.js';
import { largeBatch } from './large-batch.js';
import { sensitivity } from './sensitivity.js';
import { sam } from './sam.js';
import { momentum } from './momentum.js';
import { preconditioning } from './preconditioning.js';

export const CLAIMS: readonly AnyClaim[] = [
  saddle,
  localMinima,
  vanishingGradients,
  sparseFeatures,
  drift,
  biasCorrection,
  memory,
  schedule,
  weightDecay,
  largeBatch,
  sensitivity,
  sam,
  momentum,
  preconditioning,
];

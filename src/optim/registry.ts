/**
 * The optimizer registry: the list of every optimizer's spec (spec.ts; each is exported by its
 * own file), read by the contract tests, `descent describe`, CLI flags, the race and the
 * playground's sliders. It is a separate entry point (`descent/registry`), not part of
 * `descent`, because it imports every optimizer: a program that imports `Adam` from `descent`
 * bundles Adam only.
 *
 * Adding an optimizer: its file (its spec), one import and one list entry below.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer, ParamsInput } from './optimizer.js';
import type { OptimizerSpec, WrapperSpec } from './spec.js';
import { sgdSpec } from './sgd.js';
import { adagradSpec } from './adagrad.js';
import { rmspropSpec } from './rmsprop.js';
import { adadeltaSpec } from './adadelta.js';
import { adamSpec } from './adam.js';
import { adamwSpec } from './adamw.js';
import { adamaxSpec } from './adamax.js';
import { nadamSpec } from './nadam.js';
import { radamSpec } from './radam.js';
import { sparseAdamSpec } from './sparse_adam.js';
import { lambSpec } from './lamb.js';
import { larsSpec } from './lars.js';
import { lbfgsSpec } from './lbfgs.js';
import { rpropSpec } from './rprop.js';
import { asgdSpec } from './asgd.js';
import { adafactorSpec } from './adafactor.js';
import { muonSpec } from './muon.js';
import { lookaheadSpec } from './lookahead.js';
import { samSpec } from './sam.js';

export type { OptionSpec, OptimizerSpec, PaperReference, TestConfigs, WrapperSpec, KernelOptimizerSpec } from './spec.js';

/** Keeps each spec's option types checked while the list holds them under one type. */
const specs = (...list: object[]): readonly OptimizerSpec[] => Object.freeze(list as OptimizerSpec[]);

/** Every optimizer, in the lecture's order. */
export const optimizerSpecs: readonly OptimizerSpec[] = specs(sgdSpec, adagradSpec, rmspropSpec, adadeltaSpec, adamSpec, adamwSpec, adamaxSpec, nadamSpec, radamSpec, sparseAdamSpec, lambSpec, larsSpec, lbfgsSpec, rpropSpec, asgdSpec, adafactorSpec, muonSpec);

/** The spec with this id (`adam`) or class name (`Adam`); throws listing the known ids. */
export function getOptimizerSpec(name: string): OptimizerSpec {
  const key = name.toLowerCase();
  const spec = optimizerSpecs.find((s) => s.id === key || s.displayName.toLowerCase() === key);
  if (!spec) throw new RangeError(`unknown optimizer '${name}' (known: ${optimizerSpecs.map((s) => s.id).join(', ')})`);
  return spec;
}

/** Builds an optimizer by id: `createOptimizer('adam', model.parameters(), { lr: 3e-4 })`. */
export function createOptimizer(name: string, params: ParamsInput<Record<string, unknown>> | Iterable<Tensor>, options: Record<string, unknown> = {}): Optimizer<Record<string, unknown>> {
  return getOptimizerSpec(name).create(params as never, options);
}

/** Every wrapper: optimizers that take another optimizer's steps. */
export const wrapperSpecs: readonly WrapperSpec[] = Object.freeze([lookaheadSpec, samSpec] as unknown as WrapperSpec[]);

/** The wrapper spec with this id (`sam`) or class name; throws listing the known ids. */
export function getWrapperSpec(name: string): WrapperSpec {
  const key = name.toLowerCase();
  const spec = wrapperSpecs.find((s) => s.id === key || s.displayName.toLowerCase() === key);
  if (!spec) throw new RangeError(`unknown optimizer wrapper '${name}' (known: ${wrapperSpecs.map((s) => s.id).join(', ')})`);
  return spec;
}

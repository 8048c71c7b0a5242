import * as T from '@tessera/tensor';
import type { Module } from '../module.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/schedule.js';
import type { ByteLoader } from './data.js';
import type { LanguageModel } from './evaluate.js';

/** What {@link trainSteps} reports after each step. */
export interface StepReport {
  step: number;
  total: number;
  loss: number;
  lr: number;
  /** Training bytes consumed per second of wall time so far. */
  bytesPerSecond: number;
}

/** Options of {@link trainSteps}. */
export interface TrainOptions {
  steps: number;
  /** Global-norm gradient clipping (off by default). */
  clip?: number;
  scheduler?: LRScheduler;
  /** Called after every step with the loss (one small readback per step). */
  onStep?: (r: StepReport) => void | Promise<void>;
}

/**
 * Runs `steps` optimisation steps of next-token prediction on batches from `loader`. Each step's
 * intermediates are freed as it ends; returns the per-step losses.
 */
export async function trainSteps(
  model: Module & LanguageModel,
  optimizer: Optimizer,
  loader: ByteLoader,
  options: TrainOptions,
): Promise<number[]> {
  const losses: number[] = [];
  const start = performance.now();
  for (let s = 0; s < options.steps; s++) {
    optimizer.zeroGrad();
    const loss = T.tidy(() => {
      const batch = loader.next();
      const l = model.loss(batch);
      l.backward();
      return l;
    });
    if (options.clip !== undefined) clipGradNorm(optimizer.params, options.clip).dispose();
    await optimizer.step();
    const value = await loss.item();
    loss.dispose();
    losses.push(value);
    const lr = optimizer.lr;
    options.scheduler?.next();
    const seconds = (performance.now() - start) / 1000;
    await options.onStep?.({
      step: s + 1,
      total: options.steps,
      loss: value,
      lr,
      bytesPerSecond: ((s + 1) * loader.batchSize * loader.seqLen) / Math.max(seconds, 1e-9),
    });
  }
  return losses;
}

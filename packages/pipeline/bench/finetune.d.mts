// Types of finetune.mjs, for test/reproduce.test.ts.
import type * as T from '@tessera/tensor';
import type {
  CompiledPipeline,
  CompileOptions,
  Pipeline,
  TrainableOptions,
  TrainablePipeline,
} from '../src/index.js';

/** Rows [rows, columns] row-major and their class indices. */
export interface Rows {
  x: Float32Array;
  y: Int32Array;
}
export interface Metrics {
  accuracy: number;
  logLoss: number;
}
export interface FineTuneOptions {
  backend: T.Backend;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  patience: number;
  columns: number;
  classes: number;
  /** [t₀, t_end] of the annealed temperature. */
  temperature: [number, number];
}
/** A kept epoch's pipeline. */
export interface Kept {
  pipeline: Pipeline;
  epoch: number;
  temperature: number;
  validationLoss: number;
}
export interface Epoch {
  epoch: number;
  temperature: number;
  trainLoss: number;
  /** Validation log-loss of the relaxed network, and of its pipeline compiled. */
  soft: number;
  hard: number;
}
export interface Tuned {
  soft: Kept;
  hard: Kept;
  history: Epoch[];
}

export function logLoss(probabilities: ArrayLike<number>, y: ArrayLike<number>, classes: number): number;
export function accuracy(labels: ArrayLike<number | string>, y: ArrayLike<number>): number;
export function fineTuning(build: {
  compile: (p: Pipeline, o?: CompileOptions) => CompiledPipeline;
  toTrainable: (p: Pipeline, o?: TrainableOptions) => TrainablePipeline;
}): {
  evaluateHard(pipeline: Pipeline, rows: Rows, classes: number, backend: T.Backend): Promise<Metrics>;
  fineTune(
    pipeline: Pipeline,
    data: { train: Rows; validation: Rows },
    options: FineTuneOptions,
  ): Promise<Tuned>;
  evaluateTuned(
    tuned: Pick<Tuned, 'soft' | 'hard'>,
    rows: Rows,
    options: { backend: T.Backend; calibration: Float32Array; columns: number; classes: number },
  ): Promise<{ hard: Metrics; soft: Metrics }>;
};

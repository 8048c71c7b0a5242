// Fuzz: thousands of mutated XGBoost model files (deleted, renamed and mistyped fields, odd numbers
// and bare NaN tokens, arrays of the wrong length, children pointing anywhere, truncated text,
// replaced tokens) each parse into a validated pipeline or are refused with a PipelineError, promptly.
import { expect, it } from 'vitest';
import { parseXgboost } from '../src/index.js';
import { expectTally, fuzzJson } from './json-fuzz.js';
import { loadXgboostCase } from './xgboost-fixtures.js';

const SEEDS = [
  'random_forest_iris',
  'count_poisson',
  'gblinear_softprob_iris',
  'binary_dart',
  'squarederror_depth_1',
];

it('fuzz: 3,000 mutated XGBoost files each parse or are refused with a PipelineError', () => {
  const { tally, slowestMs } = fuzzJson(
    SEEDS.map((s) => loadXgboostCase(s).model),
    parseXgboost,
    3000,
    12,
  );
  // With this seed, 375 trials per kind; many deletions and renames parse, as XGBoost files carry
  // statistics a model does not need (loss_changes, sum_hessian, base_weights, parents).
  expectTally(tally, 3000);
  expect(slowestMs, 'slowest parse (ms)').toBeLessThan(1000);
});

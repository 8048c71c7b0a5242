// Fuzz: thousands of mutated exporter files (deleted, renamed and mistyped attributes, odd numbers,
// arrays of the wrong length, tree children pointing anywhere, truncated text, replaced tokens)
// each parse into a validated pipeline or are refused with a PipelineError, promptly.
import { expect, it } from 'vitest';
import { parseSklearn } from '../src/index.js';
import { expectTally, fuzzJson } from './json-fuzz.js';
import { loadSklearnFixture } from './sklearn-fixtures.js';

const SEEDS: [string, string][] = [
  ['iris', 'tree_depth_3'],
  ['iris', 'forest_1_full'],
  ['iris', 'logistic_ovr_liblinear'],
  ['iris', 'svc_poly_3class'],
  ['iris', 'mlp_tanh'],
  ['wine', 'scaler_pca_logistic'],
  ['breast_cancer', 'gb_20_d3_exponential'],
  ['digits', 'onehot_columns_gb'],
  ['diabetes', 'imputer_mean'],
  ['diabetes', 'gb_10_d2_zero_init'],
];

it('fuzz: 3,000 mutated exporter files each parse or are refused with a PipelineError', () => {
  const seeds = SEEDS.map(
    ([dataset, name]) => loadSklearnFixture(dataset).models.find((m) => m.name === name)!.model,
  );
  const { tally, slowestMs } = fuzzJson(seeds, parseSklearn, 3000, 11);
  // With this seed, 375 trials per kind: refused 237 deletions, 230 renames, 305 wrong types, 250 odd
  // numbers, 297 resized arrays, 186 re-pointed indexes, all 375 truncations, 333 replaced tokens; the
  // rest parsed (unused keys, thresholds and coefficients that are still numbers).
  expectTally(tally, 3000);
  expect(slowestMs, 'slowest parse (ms)').toBeLessThan(1000);
});

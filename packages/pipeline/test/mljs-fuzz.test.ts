// Fuzz: thousands of mutated ml.js model files (deleted, renamed and mistyped fields, odd numbers,
// arrays of the wrong length, tree nodes replaced by copies of their ancestors, truncated text,
// replaced tokens) each parse into a validated pipeline or are refused with a PipelineError, promptly.
import { expect, it } from 'vitest';
import { parseMljs } from '../src/index.js';
import { expectTally, fuzzJson } from './json-fuzz.js';
import { mljsCases } from './mljs-models.js';

const SEEDS = [
  'cart_classifier_wine_depth_4',
  'forest_classifier_wine_10',
  'logistic_iris',
  'pca_constant_column_excluded',
];

it('fuzz: 3,000 mutated ml.js files each parse or are refused with a PipelineError', () => {
  const cases = mljsCases();
  const seeds = SEEDS.map((s) => JSON.parse(JSON.stringify(cases.find((c) => c.name === s)!.json)));
  const { tally, slowestMs } = fuzzJson(seeds, (text) => parseMljs(text), 3000, 13);
  // With this seed, 375 trials per kind; many deletions and renames parse, as ml-cart writes every
  // TreeNode field (gain, numberSamples, options) and only a few decide predictions.
  expectTally(tally, 3000);
  expect(slowestMs, 'slowest parse (ms)').toBeLessThan(1000);
});

/**
 * scikit-learn's GradientBoostingClassifier and GradientBoostingRegressor (sklearn/ensemble/_gb.py
 * and _gb_losses.py, 1.2.1). estimators_ is [stages][K] regression trees (K = 1 for regression and
 * two classes, the number of classes otherwise); the raw score of output k is the initial estimate
 * (init_raw, exported as the init estimator's constant raw prediction: the mean or a quantile for
 * regressors, the log-odds of the prior for two classes, the log of the priors for more) plus
 * Σ_stages learning_rate × the leaf value of tree [stage][k], summed in float64.
 * - Regressors (any loss) predict the raw score.
 * - Two classes, log_loss ('deviance' before 1.1): p = logistic(raw), predict_proba [1 − p, p].
 * - Two classes, exponential loss: p = logistic(2 · raw); leaves and base are doubled here (exact).
 *   scikit-learn's predict is raw ≥ 0 → classes_[1], the head's argmax differs at raw = 0 exactly.
 * - More classes: softmax of the raw scores.
 */
import type { Tree } from '../../ir/types.js';
import type { Converted, Converter } from './context.js';
import { readTree } from './trees.js';

const REGRESSION_LOSSES = ['squared_error', 'ls', 'absolute_error', 'lad', 'huber', 'quantile'] as const;
const CLASSIFICATION_LOSSES = ['log_loss', 'deviance', 'exponential'] as const;

/** Each stage's K trees, tree k writing learning_rate × scale × value into output k of K. */
function stages(est: Parameters<Converter>[0], outputs: number, scale: number): Tree[] {
  const rate = est.at('learning_rate').number();
  const trees: Tree[] = [];
  for (const stage of est.at('estimators_').items()) {
    stage.itemsOf(outputs).forEach((e, k) => {
      const tree = e.at('tree_');
      trees.push(
        readTree(tree, outputs, (value, out, offset) => {
          if (value.length !== 1) tree.at('value').fail(`a leaf has ${value.length} values, expected 1`);
          out[offset + k] = rate * value[0] * scale;
        }),
      );
    });
  }
  if (trees.length === 0) est.at('estimators_').fail('has no stages');
  return trees;
}

export const gradientBoostingRegressor: Converter = (est, x, name, { b }): Converted => {
  est.at('loss').oneOf(REGRESSION_LOSSES);
  const base = est.at('init_raw').numbers(false, 1);
  const op = {
    kind: 'trees',
    trees: stages(est, 1, 1),
    outputs: 1,
    aggregate: 'sum',
    base,
    post: 'none',
  } as const;
  return { kind: 'regressor', value: b.add1(name, op, [x]) };
};

export const gradientBoostingClassifier: Converter = (est, x, name, { b }): Converted => {
  const loss = est.at('loss').oneOf(CLASSIFICATION_LOSSES);
  const labels = est.at('classes_').labels();
  const k = labels.length;
  if (k < 2) est.at('classes_').fail('a classifier needs at least 2 classes');
  if (loss === 'exponential' && k !== 2) est.at('loss').fail('the exponential loss takes 2 classes');
  const outputs = k === 2 ? 1 : k;
  const scale = loss === 'exponential' ? 2 : 1;
  const base = est
    .at('init_raw')
    .numbers(false, outputs)
    .map((v) => v * scale);
  const trees = stages(est, outputs, scale);
  const post = k === 2 ? 'logistic' : 'softmax';
  const probs = b.add1(name, { kind: 'trees', trees, outputs, aggregate: 'sum', base, post }, [x]);
  const [label, scores] = b.classify(`${name}:classes`, probs, labels, k === 2 ? 'complement' : 'none');
  return { kind: 'classifier', label, scores, probabilities: true };
};

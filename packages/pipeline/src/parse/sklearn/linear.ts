/**
 * scikit-learn's linear models (sklearn/linear_model, sklearn/svm LinearSVC/LinearSVR; checked
 * against 1.2.1): decision = x · coef_ᵀ + intercept_.
 * - Regressors predict the decision (one column per target).
 * - Classifiers predict classes_[argmax of the decisions], for two classes classes_[1] where d > 0
 *   (the label is taken from d, before any link, as scikit-learn does).
 * - LogisticRegression's predict_proba: 'ovr' (binary, liblinear, or multi_class='ovr') is the
 *   logistic of each decision, [1 − p, p] for two classes and normalised to sum 1 for more;
 *   'multinomial' is the softmax of the decisions, and of [−d, d] for two classes.
 * - LinearSVC has no probabilities: its scores are the decisions, [−d, d] for two classes.
 */
import type { ClassifierOp, LinearOp } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import type { Converted, Converter } from './context.js';

/** coef_ as rows (a 1-D coef_ is one row) and intercept_ as one value per row (a scalar is broadcast). */
export function readLinear(est: JsonReader): { weights: number[][]; bias: number[] } {
  const coef = est.at('coef_');
  const weights =
    Array.isArray(coef.value) && typeof coef.value[0] === 'number' ? [coef.numbers()] : coef.matrix();
  if (weights.length === 0 || weights[0].length === 0) coef.fail('has no coefficients');
  const intercept = est.at('intercept_');
  const bias =
    typeof intercept.value === 'number'
      ? weights.map(() => intercept.number())
      : intercept.numbers(false, weights.length);
  return { weights, bias };
}

export const linearRegressor: Converter = (est, x, name, { b }) => {
  const op: LinearOp = { kind: 'linear', ...readLinear(est), post: 'none' };
  return { kind: 'regressor', value: b.add1(name, op, [x]) };
};

/** The classes_ of a classifier and the number of decision rows its coef_ must have. */
function classesOf(est: JsonReader, rows: number): (number | string)[] {
  const labels = est.at('classes_').labels();
  if (labels.length < 2) est.at('classes_').fail('a classifier needs at least 2 classes');
  const expected = labels.length === 2 ? 1 : labels.length;
  if (rows !== expected)
    est.at('coef_').fail(`has ${rows} rows for ${labels.length} classes, expected ${expected}`);
  return labels;
}

export const logisticRegression: Converter = (est, x, name, { b }) => {
  const { weights, bias } = readLinear(est);
  const labels = classesOf(est, weights.length) as number[] | string[];
  const multi = est.at('multi_class').oneOf(['ovr', 'multinomial'] as const);
  // The label is scikit-learn's: the largest decision, or d > 0 for two classes.
  const decision = b.add1(name, { kind: 'linear', weights, bias, post: 'none' }, [x]);
  let head: ClassifierOp;
  let reported = decision;
  if (multi === 'multinomial') {
    // softmax(d), or softmax([−d, d]) for two classes.
    head = { kind: 'classifier', labels, binary: labels.length === 2 ? 'negate' : 'none', post: 'softmax' };
  } else {
    reported = b.add1(`${name}:logistic`, { kind: 'activation', fn: 'sigmoid' }, [decision]);
    if (labels.length === 2) head = { kind: 'classifier', labels, binary: 'complement', threshold: 0 };
    else {
      reported = b.add1(`${name}:normalize`, { kind: 'normalizer', norm: 'l1' }, [reported]);
      head = { kind: 'classifier', labels, binary: 'none' };
    }
  }
  const inputs = reported === decision ? [decision] : [decision, reported];
  const [label, probabilities] = b.add(`${name}:classes`, head, inputs, [`${name}:label`, `${name}:classes`]);
  return { kind: 'classifier', label, scores: probabilities, probabilities: true } satisfies Converted;
};

export const linearSvc: Converter = (est, x, name, { b }) => {
  const { weights, bias } = readLinear(est);
  const labels = classesOf(est, weights.length) as number[] | string[];
  const decision = b.add1(name, { kind: 'linear', weights, bias, post: 'none' }, [x]);
  const [label, scores] = b.classify(
    `${name}:classes`,
    decision,
    labels,
    labels.length === 2 ? 'negate' : 'none',
  );
  return { kind: 'classifier', label, scores, probabilities: false };
};

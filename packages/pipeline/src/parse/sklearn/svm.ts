/**
 * scikit-learn's SVC and SVR (libsvm; sklearn/svm/_base.py, 1.2.1, checked numerically in
 * tools/fixtures/gen_pipeline_sklearn.py). K is the kernel with gamma = the fitted _gamma.
 * - SVR and two-class SVC: d = Σ_j dual_coef_[0][j] · K(x, sv_j) + intercept_[0]. For two classes
 *   scikit-learn has flipped libsvm's signs so that d > 0 means classes_[1]; the scores are
 *   [−d, d] (the label is classes_[1] where d > 0: libsvm's, but at d = 0 exactly, where libsvm
 *   votes for the second class).
 * - More classes: one-vs-one. For the pair (i, j), i < j, in the order (0,1), (0,2), …, (1,2), …,
 *   d_ij = Σ_{sv of class i} dual_coef_[j − 1] · K + Σ_{sv of class j} dual_coef_[i] · K +
 *   intercept_[pair]; d_ij > 0 is a vote for i, else for j. predict is the class with most votes,
 *   the lowest on a tie (break_ties=True is refused); the scores are the votes.
 * predict_proba is not reproduced: libsvm couples pairwise Platt probabilities with an iterative
 * solver that stops at a tolerance, even for two classes.
 */
import type { SvmKernel, SvmOp } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import type { Context, Converted, Converter } from './context.js';

function kernelOf(est: JsonReader, features?: number): Omit<SvmOp, 'coefficients' | 'rho' | 'post'> {
  const kernel: SvmKernel = est.at('kernel').oneOf(['linear', 'rbf', 'poly', 'sigmoid'] as const);
  const supportVectors = est.at('support_vectors_').matrix(features);
  if (supportVectors.length === 0) est.at('support_vectors_').fail('has no support vectors');
  return {
    kind: 'svm',
    kernel,
    gamma: est.at('gamma').number(),
    coef0: est.at('coef0').number(),
    degree: est.at('degree').integer(0, 100),
    supportVectors,
  };
}

/** d = Σ coef · K + intercept_ for each row of `coefficients` (one output column per row). */
function decisions(
  est: JsonReader,
  x: string,
  name: string,
  { b }: Context,
  coefficients: number[][],
  rho: number[],
) {
  const op: SvmOp = { ...kernelOf(est), coefficients, rho, post: 'none' };
  return b.add1(name, op, [x]);
}

export const svr: Converter = (est, x, name, ctx) => {
  const dual = est.at('dual_coef_').matrix();
  if (dual.length !== 1) est.at('dual_coef_').fail(`expected 1 row, got ${dual.length}`);
  const rho = est.at('intercept_').numbers(false, 1);
  return { kind: 'regressor', value: decisions(est, x, name, ctx, dual, rho) };
};

export const svc: Converter = (est, x, name, ctx): Converted => {
  const { b } = ctx;
  const labels = est.at('classes_').labels();
  const k = labels.length;
  if (k < 2) est.at('classes_').fail('a classifier needs at least 2 classes');
  const dual = est.at('dual_coef_').matrix();
  if (dual.length !== k - 1)
    est.at('dual_coef_').fail(`expected ${k - 1} rows for ${k} classes, got ${dual.length}`);
  const pairs = (k * (k - 1)) / 2;
  const intercept = est.at('intercept_').numbers(false, pairs);
  if (k === 2) {
    const d = decisions(est, x, name, ctx, dual, intercept);
    const [label, classes] = b.classify(`${name}:classes`, d, labels, 'negate');
    return { kind: 'classifier', label, scores: classes, probabilities: false };
  }
  if (est.at('break_ties').boolean() && est.at('decision_function_shape').value === 'ovr')
    est
      .at('break_ties')
      .fail('break_ties=True is not supported (ties go to the lowest class, as libsvm votes)');
  const counts = est.at('n_support_').integers(0, dual[0].length, k);
  const starts = counts.map((_, c) => counts.slice(0, c).reduce((s, n) => s + n, 0));
  if (starts[k - 1] + counts[k - 1] !== dual[0].length)
    est
      .at('n_support_')
      .fail(`sums to ${starts[k - 1] + counts[k - 1]}, there are ${dual[0].length} support vectors`);
  if (pairs * dual[0].length > 2 ** 26)
    est.at('dual_coef_').fail(`${pairs} class pairs × ${dual[0].length} support vectors is too large`);
  // One decision row per pair over all support vectors (zero outside the pair's two classes).
  const rows: number[][] = [];
  const votes = Array.from({ length: k }, () => new Array<number>(pairs).fill(0));
  const base = new Array<number>(k).fill(0);
  for (let i = 0, p = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++, p++) {
      const row = new Array<number>(dual[0].length).fill(0);
      for (let s = starts[i]; s < starts[i] + counts[i]; s++) row[s] = dual[j - 1][s];
      for (let s = starts[j]; s < starts[j] + counts[j]; s++) row[s] = dual[i][s];
      rows.push(row);
      // votes_i += [d > 0], votes_j += 1 − [d > 0]
      votes[i][p] = 1;
      votes[j][p] = -1;
      base[j] += 1;
    }
  }
  const d = decisions(est, x, name, ctx, rows, intercept);
  const wins = b.add1(`${name}:wins`, { kind: 'binarizer', threshold: 0 }, [d]);
  const tally = b.add1(`${name}:votes`, { kind: 'linear', weights: votes, bias: base, post: 'none' }, [wins]);
  const [label, classes] = b.classify(`${name}:classes`, tally, labels, 'none');
  return { kind: 'classifier', label, scores: classes, probabilities: false };
};

/**
 * scikit-learn's SVC and SVR (libsvm; sklearn/svm/_base.py, 1.2.1, checked numerically in
 * tools/fixtures/gen_pipeline_sklearn.py). K is the kernel with gamma = the fitted _gamma.
 * - SVR and two-class SVC: d = Σ_j dual_coef_[0][j] · K(x, sv_j) + intercept_[0]. For two classes
 *   scikit-learn has flipped libsvm's signs so that d > 0 means classes_[1]; the scores are
 *   [−d, d] (the label is classes_[1] where d > 0: libsvm's, but at d = 0 exactly, where libsvm
 *   votes for the second class).
 * - More classes, or probability=True: libsvm's one-vs-one machine (the IR's SVM classifier). For
 *   the pair (i, j), i < j, in the order (0,1), (0,2), …, (1,2), …, d_ij = Σ_{sv of class i}
 *   dual_coef_[j − 1] · K + Σ_{sv of class j} dual_coef_[i] · K + intercept_[pair] (for two classes
 *   with libsvm's signs restored); d_ij > 0 is a vote for i, else for j. predict is the class with
 *   most votes, the lowest on a tie (break_ties=True is refused); the scores are the votes.
 * - probability=True: predict_proba is libsvm's: pair (i, j) gives 1 / (1 + e^(probA_·d + probB_))
 *   (clipped to [1e-7, 1 − 1e-7]), coupled into class probabilities by libsvm's iterative method,
 *   even for two classes (checked against scikit-learn in tools/fixtures/gen_pipeline_sklearn.py);
 *   the label is still the vote.
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
  const platt = est.has('probA_')
    ? { a: est.at('probA_').numbers(false, pairs), b: est.at('probB_').numbers(false, pairs) }
    : undefined;
  if (k === 2 && !platt) {
    const d = decisions(est, x, name, ctx, dual, intercept);
    const [label, classes] = b.classify(`${name}:classes`, d, labels, 'negate');
    return { kind: 'classifier', label, scores: classes, probabilities: false };
  }
  if (k > 2 && est.at('break_ties').boolean() && est.at('decision_function_shape').value === 'ovr')
    est
      .at('break_ties')
      .fail('break_ties=True is not supported (ties go to the lowest class, as libsvm votes)');
  // libsvm's one-vs-one machine, with libsvm's signs (scikit-learn flips them for two classes).
  const sign = k === 2 ? -1 : 1;
  const op: SvmOp = {
    ...kernelOf(est),
    coefficients: dual.map((row) => row.map((v) => sign * v)),
    rho: intercept.map((v) => sign * v),
    vectorsPerClass: est.at('n_support_').integers(0, dual[0].length, k),
    platt,
    post: 'none',
  };
  const outs = b.add(
    name,
    op,
    [x],
    [`${name}:votes`, `${name}:decisions`, ...(platt ? [`${name}:probabilities`] : [])],
  );
  const inputs = platt ? [outs[0], outs[2]] : [outs[0]];
  const [label, classes] = b.add(`${name}:classes`, { kind: 'classifier', labels, binary: 'none' }, inputs, [
    `${name}:label`,
    `${name}:classes`,
  ]);
  return { kind: 'classifier', label, scores: classes, probabilities: platt !== undefined };
};

/**
 * XGBoost's objectives as a model file names them (learner.objective.name), checked against
 * XGBoost 1.7 (src/objective/regression_loss.h, regression_obj.cu, multiclass_obj.cu) and its
 * predictions in tools/fixtures/gen_pipeline_xgboost.py:
 * - the margin starts at the objective's ProbToMargin(base_score): the identity for squared,
 *   squared-log, pseudo-Huber and absolute errors, binary:logitraw and the multi-class objectives
 *   (each class's margin starts at base_score), −log(1/p − 1) for the logistic ones, log for the
 *   log-link ones, in float32;
 * - predictions are PredTransform(margin): the identity, the logistic, the softmax over the
 *   classes' margins, or exp.
 */
import type { PostTransform } from '../../ir/types.js';

export interface Objective {
  /** ProbToMargin: the margin the base_score contributes. */
  margin: (baseScore: number) => number;
  post: PostTransform;
  /** What the prediction is: a value, the probability of class 1, or class probabilities. */
  head: 'regressor' | 'binary' | 'multiclass';
}

const identity = (p: number) => p;
// −logf(1.0f / p − 1.0f), each step in float32 as XGBoost computes it (the last ulp shows in margins).
const logit = (p: number) => -Math.fround(Math.log(Math.fround(Math.fround(1 / p) - 1)));
const regression: Objective = { margin: identity, post: 'none', head: 'regressor' };
const logLink: Objective = { margin: Math.log, post: 'exp', head: 'regressor' };
const multiclass: Objective = { margin: identity, post: 'softmax', head: 'multiclass' };

export const OBJECTIVES: Record<string, Objective> = {
  'reg:squarederror': regression,
  'reg:linear': regression,
  'reg:squaredlogerror': regression,
  'reg:pseudohubererror': regression,
  'reg:absoluteerror': regression,
  'reg:logistic': { margin: logit, post: 'logistic', head: 'regressor' },
  'binary:logistic': { margin: logit, post: 'logistic', head: 'binary' },
  // The raw margin, as Booster.predict gives it (no link).
  'binary:logitraw': { margin: identity, post: 'none', head: 'regressor' },
  'multi:softprob': multiclass,
  'multi:softmax': multiclass,
  'count:poisson': logLink,
  'reg:gamma': logLink,
  'reg:tweedie': logLink,
};

import type { OperatorKind } from '../../ir/types.js';
import { classifier } from './classifier.js';
import { concat, select } from './columns.js';
import { activation, binarizer, constant, imputer, normalizer, scaler } from './elementwise.js';
import { labelEncoder, oneHot } from './encoders.js';
import { linear } from './linear.js';
import type { CompileRule } from './rule.js';
import { svm } from './svm.js';
import { trees } from './trees.js';

/** How every operator kind compiles: a kind without a rule does not type-check. */
export const RULES: { [K in OperatorKind]: CompileRule<K> } = {
  scaler,
  normalizer,
  imputer,
  binarizer,
  oneHot,
  labelEncoder,
  select,
  concat,
  linear,
  activation,
  constant,
  svm,
  trees,
  classifier,
};

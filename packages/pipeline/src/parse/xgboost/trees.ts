/**
 * One tree of an XGBoost JSON model (XGBoost 1.7, src/tree/tree_model.cc SaveModel): flat arrays
 * over the nodes. A node is a leaf where left_children is −1; its value is split_conditions (the
 * learning rate already applied). An inner node sends x to left_children when
 * x[split_indices] < split_conditions (rule 'lt'), a missing (NaN) value where default_left says.
 * XGBoost scores float32: thresholds and leaf values are float32, so they are rounded to float32
 * here (the file prints them as short decimals). A DART booster multiplies each tree's output by
 * its weight_drop entry in float32, which the rounded product of the two float32s is exactly.
 * Categorical splits (split_type 1) are refused.
 */
import type { Tree } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import { blankTree } from '../trees.js';

const MAX_INDEX = 2 ** 31 - 1;

/**
 * The tree `tree` as a Tree whose leaves write output `column` of `outputs`, leaf values times
 * `weight` (1 for gbtree).
 */
export function readXgboostTree(tree: JsonReader, outputs: number, column: number, weight: number): Tree {
  const left = tree.at('left_children').integers(-1, MAX_INDEX);
  const n = left.length;
  if (n === 0) tree.at('left_children').fail('a tree needs at least one node');
  const param = tree.at('tree_param');
  if (param.at('num_nodes').numberText() !== n)
    param.at('num_nodes').fail(`says ${param.at('num_nodes').value} nodes, left_children has ${n}`);
  if (param.has('num_deleted') && param.at('num_deleted').numberText() !== 0)
    param.at('num_deleted').fail('trees with deleted nodes (pruned in place) are not supported');
  const splitType = tree.optional('split_type')?.integers(0, 1, n);
  const categorical = splitType?.indexOf(1) ?? -1;
  if (categorical >= 0)
    tree
      .at('split_type')
      .fail(`node ${categorical} splits on categories; categorical splits are not supported`);
  const right = tree.at('right_children').integers(-1, MAX_INDEX, n);
  const index = tree.at('split_indices').integers(0, MAX_INDEX, n);
  const condition = tree.at('split_conditions').numbers(false, n);
  const defaultLeft = tree.at('default_left').flags(n);
  const t = blankTree(n, outputs, 'lt');
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) {
      if (right[i] !== -1)
        tree.at('right_children').fail(`node ${i} is a leaf on the left but not on the right`);
      t.leafValues[i * outputs + column] = Math.fround(Math.fround(condition[i]) * weight);
      continue;
    }
    t.feature[i] = index[i];
    t.threshold[i] = Math.fround(condition[i]);
    t.trueChild[i] = left[i];
    t.falseChild[i] = right[i];
    t.missingTrue[i] = defaultLeft[i];
  }
  return t;
}

/**
 * scikit-learn's trees and forests (sklearn/tree/_tree.pyx, sklearn/ensemble/_forest.py; 1.2.1).
 * - A node is a leaf where children_left is −1 (TREE_LEAF). An inner node sends x to
 *   children_left when x[feature] <= threshold, x cast to float32 and the threshold a float64
 *   (rule 'leq'). NaN fails the test and goes right, unless the tree learned a side for missing
 *   values (missing_go_to_left, scikit-learn ≥ 1.3); 1.2 refuses NaN input outright.
 * - tree_.value is [nodes][outputs][classes]: weighted class counts for classifiers (predict_proba
 *   divides a leaf's counts by their sum, a zero sum by 1), the mean target for regressors.
 * - Forests average their trees' predict_proba (classifiers) or predictions (regressors).
 * - The label is classes_[argmax of the probabilities], the lowest index on a tie.
 */
import type { Tree, TreeEnsembleOp } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import { blankTree } from '../trees.js';
import type { Context, Converted, Converter } from './context.js';

/**
 * One fitted tree_ as a Tree with `outputs` leaf columns: `leaf(values, node)` turns a leaf's
 * value (outputs × classes, flattened) into leaf values written at `node`.
 */
export function readTree(
  tree: JsonReader,
  outputs: number,
  leaf: (value: number[], out: Float64Array, offset: number) => void,
): Tree {
  const left = tree.at('children_left').integers(-1, 2 ** 31 - 1);
  const n = left.length;
  if (n === 0) tree.at('children_left').fail('a tree needs at least one node');
  const right = tree.at('children_right').integers(-1, 2 ** 31 - 1, n);
  const feature = tree.at('feature').integers(-2, 2 ** 31 - 1, n);
  const threshold = tree.at('threshold').numbers(false, n);
  const value = tree.at('value').itemsOf(n);
  const missingLeft = tree.optional('missing_go_to_left')?.integers(0, 1, n);
  const t = blankTree(n, outputs, 'leq');
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) {
      if (right[i] !== -1)
        tree.at('children_right').fail(`node ${i} is a leaf on the left but not on the right`);
      leaf(value[i].matrix().flat(), t.leafValues, i * outputs);
      continue;
    }
    if (feature[i] < 0) tree.at('feature').fail(`inner node ${i} has feature ${feature[i]}`);
    t.feature[i] = feature[i];
    t.threshold[i] = threshold[i];
    t.trueChild[i] = left[i];
    t.falseChild[i] = right[i];
    t.missingTrue[i] = missingLeft?.[i] ?? 0;
  }
  return t;
}

/** Leaf values of a classifier's tree: the class fractions of a single-output leaf. */
function classFractions(tree: JsonReader, classes: number) {
  return (value: number[], out: Float64Array, offset: number) => {
    if (value.length !== classes)
      tree.at('value').fail(`a leaf has ${value.length} values for ${classes} classes`);
    const sum = value.reduce((s, v) => s + v, 0) || 1;
    for (let c = 0; c < classes; c++) out[offset + c] = value[c] / sum;
  };
}

/** Leaf values of a regressor's tree: one mean per output. */
function targetMeans(tree: JsonReader, outputs: number) {
  return (value: number[], out: Float64Array, offset: number) => {
    if (value.length !== outputs)
      tree.at('value').fail(`a leaf has ${value.length} values for ${outputs} outputs`);
    out.set(value, offset);
  };
}

function singleOutput(est: JsonReader): void {
  if (est.at('n_outputs_').integer(1) !== 1)
    est.at('n_outputs_').fail('multi-output classifiers are not supported');
}

/** The tree_ of each fitted tree of a forest, or of the tree itself. */
const treesOf = (est: JsonReader, forest: boolean) =>
  forest
    ? est
        .at('estimators_')
        .items()
        .map((e) => e.at('tree_'))
    : [est.at('tree_')];

/** Whether every tree learned where missing values go (scikit-learn >= 1.3 writes missing_go_to_left). */
const learnedMissing = (trees: JsonReader[]) =>
  trees.length > 0 && trees.every((t) => t.has('missing_go_to_left'));

function ensemble(trees: Tree[], outputs: number, forest: boolean): TreeEnsembleOp {
  const base = new Array<number>(outputs).fill(0);
  return { kind: 'trees', trees, outputs, aggregate: forest ? 'average' : 'sum', base, post: 'none' };
}

function treeClassifier(forest: boolean): Converter {
  return (est, x, name, { b, acceptsNaN }: Context): Converted => {
    singleOutput(est);
    const labels = est.at('classes_').labels();
    const k = labels.length;
    const sources = treesOf(est, forest);
    const trees = sources.map((t) => readTree(t, k, classFractions(t, k)));
    if (trees.length === 0) est.at('estimators_').fail('a forest needs at least one tree');
    const op = ensemble(trees, k, forest);
    if (learnedMissing(sources)) acceptsNaN.add(op);
    const probs = b.add1(name, op, [x]);
    const [label, scores] = b.classify(`${name}:classes`, probs, labels, 'none');
    return { kind: 'classifier', label, scores, probabilities: true };
  };
}

function treeRegressor(forest: boolean): Converter {
  return (est, x, name, { b, acceptsNaN }: Context): Converted => {
    const outputs = est.at('n_outputs_').integer(1, 1 << 16);
    const sources = treesOf(est, forest);
    const trees = sources.map((t) => readTree(t, outputs, targetMeans(t, outputs)));
    if (trees.length === 0) est.at('estimators_').fail('a forest needs at least one tree');
    const op = ensemble(trees, outputs, forest);
    if (learnedMissing(sources)) acceptsNaN.add(op);
    return { kind: 'regressor', value: b.add1(name, op, [x]) };
  };
}

export const decisionTreeClassifier = treeClassifier(false);
export const decisionTreeRegressor = treeRegressor(false);
export const forestClassifier = treeClassifier(true);
export const forestRegressor = treeRegressor(true);

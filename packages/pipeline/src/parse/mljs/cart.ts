/**
 * ml-cart 2.1.1 trees (DecisionTreeClassifier / DecisionTreeRegression `toJSON()`: { name,
 * options, root }), as its source (src/TreeNode.js) has them:
 * - a node is a leaf where it has a `distribution` (setNodeParameters); an inner node has `left`
 *   and `right`, and classify() sends a row to `left` when row[splitColumn] < splitValue (rule
 *   'lt', splitValue the float64 mean of two training values) and to `right` otherwise, NaN
 *   included (NaN < v is false);
 * - splitColumn indexes the row the tree is given (a random forest gives each tree its own columns);
 * - a classifier's distribution is the leaf's class fractions as a 1 × k matrix ([[p0, …]]), k being
 *   1 + the largest class index among the leaf's training rows, so leaves differ in length (missing
 *   classes have fraction 0); predict() is the first index of the largest fraction;
 * - a regression leaf's distribution is the mean of its training values.
 * The nested nodes are walked with an explicit stack: a deep file cannot exhaust the call stack.
 */
import type { Tree } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import { blankTree } from '../trees.js';

/** A tree read from its nested nodes: structure in node order (root first), leaves' raw values. */
export interface CartTree {
  /** Node i's children, −1 at leaves. */
  left: number[];
  right: number[];
  /** splitColumn at inner nodes, −1 at leaves. */
  column: number[];
  threshold: number[];
  /** A classifier leaf's class fractions, or a regression leaf's mean as one value; [] at inner nodes. */
  leaf: number[][];
}

/** Flattens the nested nodes under `root`; `classifier` decides what a leaf's distribution is. */
export function readCart(root: JsonReader, classifier: boolean): CartTree {
  const t: CartTree = { left: [], right: [], column: [], threshold: [], leaf: [] };
  const stack: [JsonReader, number][] = [[root, 0]];
  const add = () => {
    t.left.push(-1);
    t.right.push(-1);
    t.column.push(-1);
    t.threshold.push(0);
    t.leaf.push([]);
    return t.left.length - 1;
  };
  add();
  while (stack.length) {
    const [node, i] = stack.pop()!;
    if (node.has('distribution')) {
      const d = node.at('distribution');
      if (!classifier) t.leaf[i] = [d.number()];
      else {
        const rows = d.matrix();
        if (rows.length !== 1 || rows[0].length === 0) d.fail('expected one row of class fractions');
        t.leaf[i] = rows[0];
      }
      continue;
    }
    t.column[i] = node.at('splitColumn').integer(0, 2 ** 31 - 1);
    t.threshold[i] = node.at('splitValue').number();
    t.left[i] = add();
    t.right[i] = add();
    stack.push([node.at('right'), t.right[i]], [node.at('left'), t.left[i]]);
  }
  return t;
}

/**
 * The tree as an IR tree of `outputs` leaf columns: columns mapped through `columns` (a forest's
 * per-tree `indexes`; the identity when absent), each leaf's raw value turned into its leaf
 * values by `leafValues`.
 */
export function cartToTree(
  t: CartTree,
  outputs: number,
  leafValues: (raw: number[]) => number[],
  columns: number[] | undefined,
  where: JsonReader,
): Tree {
  const n = t.left.length;
  const tree = blankTree(n, outputs, 'lt');
  for (let i = 0; i < n; i++) {
    if (t.left[i] < 0) {
      tree.leafValues.set(leafValues(t.leaf[i]), i * outputs);
      continue;
    }
    const c = t.column[i];
    if (columns && c >= columns.length)
      where.fail(`node ${i} splits on column ${c}; the tree sees ${columns.length} columns`);
    tree.feature[i] = columns ? columns[c] : c;
    tree.threshold[i] = t.threshold[i];
    tree.trueChild[i] = t.left[i];
    tree.falseChild[i] = t.right[i];
  }
  return tree;
}

/** The largest of `values` and `start` (no spread: arrays may be longer than the call stack allows). */
export function largest(values: ArrayLike<number>, start: number): number {
  let m = start;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** The number of classes a classifier tree's leaves speak of: the longest distribution. */
export const classesOf = (t: CartTree) => t.leaf.reduce((k, l) => Math.max(k, l.length), 0);

/** A leaf's fractions padded with zeros to `k` classes. */
export const padded = (k: number) => (raw: number[]) => [
  ...raw,
  ...new Array<number>(k - raw.length).fill(0),
];

/** The one-hot vote of a leaf among `k` classes: its first largest fraction, as predict() takes it. */
export const vote = (k: number) => (raw: number[]) => {
  let best = 0;
  for (let c = 1; c < raw.length; c++) if (raw[c] > raw[best]) best = c;
  return Array.from({ length: k }, (_, c) => (c === best ? 1 : 0));
};

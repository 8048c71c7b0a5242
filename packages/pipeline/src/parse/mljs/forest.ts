/**
 * ml-random-forest 2.1.0 (RandomForestClassifier / RandomForestRegression `toJSON()`: { name,
 * baseModel, selectionMethod }), as its source (src/RandomForestBase.js) has it: tree i is an
 * ml-cart tree over the columns baseModel.indexes[i] of the row (feature bagging, possibly with
 * repeats), so its splitColumn c tests feature indexes[i][c]. predict() combines the trees'
 * predictions:
 * - the classifier takes the mode of the trees' labels (ml-array-mode): the probabilities here are
 *   the vote shares (each tree's leaf a one-hot vote) and the label their first largest. On a tied
 *   vote ml-array-mode returns the tied class whose count reached the maximum first in tree order,
 *   which may be another than the lowest; its predictProbability() skips tree 0's vote (a reduce
 *   without an initial value) and rounds to 6 decimals, so it is not what these probabilities are;
 * - the regression takes the mean of the trees' values ('median' is refused).
 */
import type { TreeEnsembleOp } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import { cartToTree, classesOf, largest, readCart, vote } from './cart.js';

export interface Forest {
  op: TreeEnsembleOp;
  /** The largest feature index any tree may read, plus one. */
  columns: number;
  /** Classifiers: the number of classes. */
  classes?: number;
}

export function readForest(model: JsonReader, classifier: boolean): Forest {
  const base = model.at('baseModel');
  if (!classifier) model.at('selectionMethod').oneOf(['mean'] as const);
  if (base.at('isClassifier').boolean() !== classifier)
    base.at('isClassifier').fail(`is ${!classifier}, the model's name says ${classifier}`);
  const estimators = base.at('estimators').items();
  if (estimators.length === 0) base.at('estimators').fail('the forest has no trees');
  if (base.at('nEstimators').integer(0) !== estimators.length)
    base
      .at('nEstimators')
      .fail(`says ${base.at('nEstimators').value} trees, estimators has ${estimators.length}`);
  const indexes = base
    .at('indexes')
    .itemsOf(estimators.length)
    .map((r) => r.integers(0, 2 ** 24));
  const carts = estimators.map((e) => {
    e.at('name').oneOf([classifier ? 'DTClassifier' : 'DTRegression']);
    return readCart(e.at('root'), classifier);
  });
  const columns = 1 + indexes.reduce((m, r) => largest(r, m), -1);
  const k = classifier ? largest(carts.map(classesOf), 0) : 1;
  const trees = carts.map((t, i) =>
    cartToTree(t, k, classifier ? vote(k) : (raw) => raw, indexes[i], estimators[i].at('root')),
  );
  const op: TreeEnsembleOp = {
    kind: 'trees',
    trees,
    outputs: k,
    aggregate: 'average',
    base: new Array(k).fill(0),
    post: 'none',
  };
  return { op, columns, classes: classifier ? k : undefined };
}

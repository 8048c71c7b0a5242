/**
 * ml.js models as their `toJSON()` gives them (ml-cart, ml-random-forest, ml-logistic-regression,
 * ml-pca); each library's conventions are in its reader's file.
 */
import type { Operator, Pipeline } from '../../ir/types.js';
import { PipelineBuilder } from '../builder.js';
import { JsonReader, readJsonDocument } from '../json.js';
import { cartToTree, classesOf, largest, padded, readCart } from './cart.js';
import { readForest } from './forest.js';
import { readLogistic } from './logistic.js';
import { readPca } from './pca.js';

/** The model names (`name` in the JSON) {@link parseMljs} reads. */
export const MLJS_MODELS = [
  'DTClassifier',
  'DTRegression',
  'RFClassifier',
  'RFRegression',
  'LogisticRegression',
  'PCA',
] as const;

/** Options of {@link parseMljs}. */
export interface ParseMljsOptions {
  /**
   * The number of input columns. A tree's file only names the columns it splits on (a forest's, the
   * ones its trees drew), so without this the input is as wide as the largest of them; give the
   * training data's width so that rows of that width are accepted.
   */
  columns?: number;
  /** PCA: the number of components to keep, as ml-pca's `predict(x, { nComponents })`. Default: all. */
  components?: number;
}

const OUTPUTS = ['label', 'probabilities', 'variable'];

/**
 * Parses an ml.js model (the object `model.toJSON()` returns, or its JSON text) into a validated
 * pipeline with one float input, `input`. Classifiers give `label` (class indices 0 … k − 1, as
 * ml.js predicts them) and `probabilities`: a tree's leaf fractions, a forest's vote shares, a
 * logistic regression's one-vs-all probabilities. Regressions and PCA give `variable`.
 *
 * @throws {@link PipelineError} for malformed models, models it does not read (naming them and the
 * ones it does) and `columns` narrower than the model needs.
 */
export function parseMljs(json: unknown, options: ParseMljsOptions = {}): Pipeline {
  const model = new JsonReader(readJsonDocument(json, 'ml.js model'), 'model');
  const name = model.at('name').string();
  if (!(MLJS_MODELS as readonly string[]).includes(name))
    model.at('name').fail(`model '${name}' is not supported; supported: ${MLJS_MODELS.join(', ')}`);
  const classifier = name === 'DTClassifier' || name === 'RFClassifier' || name === 'LogisticRegression';
  // What the model computes before its classifier head, the columns it reads, and its classes.
  let op: Operator;
  let steps: { name: string; op: Operator }[] | undefined;
  let needed: number;
  let classes = 0;
  let exact = false;
  if (name === 'DTClassifier' || name === 'DTRegression') {
    const cart = readCart(model.at('root'), classifier);
    const k = classifier ? classesOf(cart) : 1;
    const tree = cartToTree(cart, k, classifier ? padded(k) : (raw) => raw, undefined, model.at('root'));
    op = {
      kind: 'trees',
      trees: [tree],
      outputs: k,
      aggregate: 'sum',
      base: new Array(k).fill(0),
      post: 'none',
    };
    [needed, classes] = [1 + largest(tree.feature, -1), k];
  } else if (name === 'RFClassifier' || name === 'RFRegression') {
    const forest = readForest(model, classifier);
    [op, needed, classes] = [forest.op, forest.columns, forest.op.outputs];
  } else if (name === 'LogisticRegression') {
    const lr = readLogistic(model);
    [op, needed, classes, exact] = [lr.op, lr.columns, lr.classes, true];
  } else {
    const pca = readPca(model, options.components);
    steps = pca.ops;
    [op, needed, exact] = [pca.ops[pca.ops.length - 1].op, pca.columns, true];
  }
  const columns = options.columns ?? Math.max(needed, 1);
  if (!(Number.isInteger(columns) && columns >= 1) || columns < needed || (exact && columns !== needed))
    model.fail(`options.columns is ${columns}; the model reads ${exact ? '' : 'at least '}${needed} columns`);
  const b = new PipelineBuilder('mljs', [{ name: 'input', kind: 'float', columns }], OUTPUTS);
  const scores = (steps ?? [{ name: '', op }]).reduce(
    (x, s) => b.add1(s.name ? `${name}:${s.name}` : name, s.op, [x]),
    'input',
  );
  if (!classifier) return b.finish([scores], ['variable']);
  if (classes < 2) model.fail(`a classifier needs at least 2 classes, the model has ${classes}`);
  const labels = Array.from({ length: classes }, (_, c) => c);
  const [label, probabilities] = b.classify(`${name}:classes`, scores, labels, 'none');
  return b.finish([label, probabilities], ['label', 'probabilities']);
}

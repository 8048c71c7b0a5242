/**
 * ml-logistic-regression 2.0.0 (`toJSON()`: { name, numberClasses, classifiers: [{ weights }] }),
 * as its source (src/logreg.js) has it: one-vs-all without an intercept. Classifier j is trained
 * with class j as target 0 and every other class as 1, so testScores(x) = logistic(x · w_j) is the
 * probability that x is NOT class j, and predict() is the first j with the lowest score. Here the
 * probabilities are logistic(−x · w_j), each class's own one-vs-all probability (they need not sum
 * to 1), and the label their first largest: the same class, except where float64 rounds two
 * scores of ml.js to the same value (a logistic above ~1 − 1e-16), which this comparison keeps apart.
 */
import type { LinearOp } from '../../ir/types.js';
import type { JsonReader } from '../json.js';

export function readLogistic(model: JsonReader): { op: LinearOp; classes: number; columns: number } {
  const classifiers = model.at('classifiers').items();
  const k = model.at('numberClasses').integer(2, 1 << 16);
  if (classifiers.length !== k)
    model.at('classifiers').fail(`has ${classifiers.length} classifiers for ${k} classes`);
  const rows = classifiers.map((c) => {
    const w = c.at('weights').matrix();
    if (w.length !== 1) c.at('weights').fail(`expected one row of weights, got ${w.length}`);
    return w[0];
  });
  const columns = rows[0].length;
  if (columns === 0) classifiers[0].at('weights').fail('has no weights');
  rows.forEach((r, j) => {
    if (r.length !== columns)
      classifiers[j].at('weights').fail(`has ${r.length} weights, classifier 0 has ${columns}`);
  });
  const weights = rows.map((r) => r.map((w) => -w));
  return {
    op: { kind: 'linear', weights, bias: new Array(k).fill(0), post: 'logistic' },
    classes: k,
    columns,
  };
}

// ml.js models trained on the bundled data sets (test/fixtures/mljs/datasets.json: scikit-learn's
// iris, wine and diabetes, features rounded to float32), with what each library itself predicts:
// the oracle of the ml.js tests.
import { readFileSync } from 'node:fs';
import { DecisionTreeClassifier, DecisionTreeRegression } from 'ml-cart';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { PCA } from 'ml-pca';
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import type { ParseMljsOptions, Pipeline, Tree, TreeEnsembleOp } from '../src/index.js';

interface Dataset {
  X: number[][];
  y: number[];
}
const DATA: Record<string, Dataset> = JSON.parse(
  readFileSync(new URL('./fixtures/mljs/datasets.json', import.meta.url), 'utf8'),
);

/** What the library gives for a row set: labels and/or per-row values. */
export interface MljsOutputs {
  label?: number[];
  /** Classifier probabilities as the library defines them, or regression / PCA values. */
  values: number[][];
}

export interface MljsCase {
  name: string;
  /** The data set the model was trained on (its rows are the test rows too). */
  data: Dataset;
  /** `toJSON()` of the trained model. */
  json: object;
  options?: ParseMljsOptions;
  /** The library's outputs for `rows`. */
  predict(rows: number[][]): MljsOutputs;
}

/** What the tests use of an ml.js model. */
interface Trainable {
  train(x: number[][], y: number[]): void;
  predict(x: number[][]): number[];
  toJSON(): object;
}

/** A classifier trained on `data`; `values` gives its per-class values for rows among k classes. */
function classifier(
  name: string,
  data: Dataset,
  model: Trainable,
  values: (rows: number[][], k: number) => number[][],
): MljsCase {
  model.train(data.X, data.y);
  const k = Math.max(...data.y) + 1;
  return {
    name,
    data,
    json: model.toJSON(),
    predict: (rows) => ({ label: model.predict(rows), values: values(rows, k) }),
  };
}

function cartClassifier(name: string, data: Dataset, options: object): MljsCase {
  const model = new DecisionTreeClassifier(options);
  // The leaf's distribution (classify() is what predict() takes the argmax of), padded to k classes.
  return classifier(name, data, model, (rows, k) =>
    rows.map((r) => {
      const d = (model.root.classify(r) as { to1DArray(): number[] }).to1DArray();
      return [...d, ...new Array(k - d.length).fill(0)];
    }),
  );
}

function forestClassifier(name: string, data: Dataset, options: object): MljsCase {
  const model = new RandomForestClassifier({ noOOB: true, ...options });
  // The vote shares, from every tree's prediction.
  return classifier(name, data, model, (rows, k) =>
    model
      .predictionValues(rows)
      .to2DArray()
      .map((v) => Array.from({ length: k }, (_, c) => v.filter((l) => l === c).length / v.length)),
  );
}

function regression(name: string, data: Dataset, model: Trainable): MljsCase {
  model.train(data.X, data.y);
  return {
    name,
    data,
    json: model.toJSON(),
    predict: (rows) => ({ values: model.predict(rows).map((v) => [v]) }),
  };
}

function logistic(name: string, data: Dataset, options: object): MljsCase {
  const model = new LogisticRegression(options);
  model.train(new Matrix(data.X), Matrix.columnVector(data.y));
  return {
    name,
    data,
    json: model.toJSON(),
    predict: (rows) => {
      const x = new Matrix(rows);
      // testScores is the probability of NOT being class j: one minus it is class j's.
      const notClass = model.classifiers.map((c) => c.testScores(x));
      return { label: model.predict(x), values: rows.map((_, r) => notClass.map((s) => 1 - s[r])) };
    },
  };
}

function pca(name: string, data: Dataset, options: object, components?: number): MljsCase {
  const model = new PCA(data.X, options);
  return {
    name,
    data,
    json: model.toJSON(),
    options: components ? { components } : undefined,
    predict: (rows) => ({ values: model.predict(rows, { nComponents: components }).to2DArray() }),
  };
}

/** A constant column appended: ml-pca drops it when scaling with ignoreZeroVariance. */
const withConstant = (d: Dataset): Dataset => ({
  X: d.X.map((r) => [...r.slice(0, 2), 1, ...r.slice(2)]),
  y: d.y,
});

/** Every case, trained once (a few seconds on two cores). */
export function mljsCases(): MljsCase[] {
  const { iris, wine, diabetes } = DATA;
  return [
    cartClassifier('cart_classifier_iris', iris, {}),
    cartClassifier('cart_classifier_wine_depth_4', wine, { maxDepth: 4 }),
    regression('cart_regression_diabetes_depth_5', diabetes, new DecisionTreeRegression({ maxDepth: 5 })),
    forestClassifier('forest_classifier_iris_25', iris, { nEstimators: 25, seed: 5 }),
    forestClassifier('forest_classifier_wine_10', wine, {
      nEstimators: 10,
      maxFeatures: 0.5,
      replacement: false,
      seed: 3,
      treeOptions: { maxDepth: 4 },
    }),
    regression(
      'forest_regression_diabetes_8',
      diabetes,
      new RandomForestRegression({
        nEstimators: 8,
        maxFeatures: 0.8,
        seed: 7,
        noOOB: true,
        treeOptions: { maxDepth: 4 },
      }),
    ),
    logistic('logistic_iris', iris, { numSteps: 2000, learningRate: 5e-4 }),
    pca('pca_wine_scaled', wine, { scale: true }),
    pca('pca_iris_centered_2', iris, {}, 2),
    pca('pca_iris_nipals', iris, { method: 'NIPALS', nCompNIPALS: 2 }),
    pca('pca_constant_column_excluded', withConstant(iris), { scale: true, ignoreZeroVariance: true }),
  ];
}

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);
/** The float32 next to `v` (a float32) toward +∞ (up) or −∞. */
function nextFloat32(v: number, up: boolean): number {
  if (v === 0) return up ? 2 ** -149 : -(2 ** -149);
  f32[0] = v;
  bits[0] += v > 0 === up ? 1 : -1;
  return f32[0];
}

/**
 * Rows whose feature sits on either side of a tree's threshold t: the largest float32 below t
 * (ml-cart: x < t, left) and the smallest float32 at or above it (right), on `base` rows, for
 * inner nodes of the ensemble's first trees.
 */
export function edgeRows(trees: Pick<Tree, 'feature' | 'threshold'>[], base: number[][], n = 16): number[][] {
  const splits = trees
    .slice(0, 4)
    .flatMap((t) => [...t.feature].flatMap((f, i) => (f >= 0 ? [[f, t.threshold[i]]] : [])));
  return Array.from({ length: n }, (_, k) => {
    const [f, t] = splits[(Math.floor(k / 2) * 7) % splits.length];
    let v = Math.fround(t);
    if (k % 2 === 0 && v >= t) v = nextFloat32(v, false);
    if (k % 2 === 1 && v < t) v = nextFloat32(v, true);
    const row = [...base[k % base.length]];
    row[f] = v;
    return row;
  });
}

/** A case's rows: its data set, and for trees rows on either side of their splits. */
export function rowsFor(c: MljsCase, p: Pipeline): number[][] {
  const trees = p.nodes.flatMap((n) => (n.op.kind === 'trees' ? (n.op as TreeEnsembleOp).trees : []));
  return trees.length ? [...c.data.X, ...edgeRows(trees, c.data.X, 24)] : c.data.X;
}

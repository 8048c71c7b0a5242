// parseSklearn: every fixture model (tools/fixtures/gen_pipeline_sklearn.py) parsed and evaluated
// by the float64 IR reference agrees with scikit-learn's own outputs; ensembles keep every tree;
// bad documents are refused naming what is wrong.
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { compile, type Pipeline, parseSklearn, type TreeEnsembleOp } from '../src/index.js';
import { evaluate, expectOutputs } from './ir-reference.js';
import { expectRefusal } from './refusal.js';
import { loadSklearnFixture, rowsOf, SKLEARN_DATASETS } from './sklearn-fixtures.js';

// Float64 on both sides: only the order of summation differs (numpy's BLAS dot products and
// pairwise sums against the reference's left-to-right loops), a few ulps of the largest term.
const RTOL = 1e-9;
const ATOL = 1e-12;
// SVC's predict_proba couples its pairwise Platt probabilities iteratively; the reference couples
// them with the compiler's float32 transcription of libsvm's method (scikit-learn's is float64):
// measured 2.4e-7 apart at most in gen_pipeline_sklearn.py's data.
const PLATT_TOL = 1e-6;

/** Trees and their node counts in an exported estimator (nested in pipelines and column transformers). */
function exportedTrees(est: unknown): number[] {
  if (Array.isArray(est)) return est.flatMap(exportedTrees);
  if (typeof est !== 'object' || est === null) return [];
  const o = est as Record<string, unknown>;
  if (o.tree_) return [(o.tree_ as { children_left: number[] }).children_left.length];
  return Object.values(o).flatMap(exportedTrees);
}

const parsedTrees = (p: Pipeline) =>
  p.nodes.flatMap((n) =>
    n.op.kind === 'trees' ? (n.op as TreeEnsembleOp).trees.map((t) => t.feature.length) : [],
  );

describe.each(SKLEARN_DATASETS)('parseSklearn on %s', (dataset) => {
  const fixture = loadSklearnFixture(dataset);

  it.each(fixture.models.map((c) => [c.name, c] as const))('%s matches scikit-learn', (_, c) => {
    const pipeline = parseSklearn(JSON.stringify(c.model));
    expect(pipeline.source).toBe('sklearn');
    expect(pipeline.outputs).toEqual(Object.keys(c.expected));
    expect(pipeline.inputs).toHaveLength(1);
    expect(pipeline.inputs[0]).toMatchObject({
      name: 'input',
      kind: 'float',
      columns: fixture.rows[0].length,
    });
    expect(parsedTrees(pipeline)).toEqual(exportedTrees(c.model.estimator));
    // Where scikit-learn raises on NaN, so does predict.
    const refused = pipeline.inputs[0].refusesNaN ?? c.nan_refused.map(() => false);
    expect(refused, 'columns that refuse NaN').toEqual(c.nan_refused);
    const got = evaluate(pipeline, rowsOf(fixture, c));
    const platt = c.name.includes('_probability_');
    expectOutputs(got, c.expected, platt ? PLATT_TOL : RTOL, platt ? PLATT_TOL : ATOL, c.name);
  });
});

describe('parseSklearn structure', () => {
  const find = (dataset: string, name: string) => {
    const c = loadSklearnFixture(dataset).models.find((m) => m.name === name);
    if (!c) throw new Error(`no fixture ${dataset}/${name}`);
    return c.model;
  };
  const ops = (p: Pipeline) => p.nodes.map((n) => n.op.kind);

  it('maps each estimator family to its operators and link', () => {
    const trees = (p: Pipeline) => p.nodes.find((n) => n.op.kind === 'trees')!.op as TreeEnsembleOp;
    const forest = parseSklearn(find('breast_cancer', 'forest_200_d3'));
    expect(ops(forest)).toEqual(['trees', 'classifier']);
    expect(trees(forest)).toMatchObject({ aggregate: 'average', outputs: 2, post: 'none' });
    expect(trees(forest).trees).toHaveLength(200);
    expect(trees(forest).trees[0].rule.every((r) => r === 'leq')).toBe(true);
    const gbBinary = trees(parseSklearn(find('breast_cancer', 'gb_200_d2_binary')));
    expect(gbBinary).toMatchObject({ aggregate: 'sum', outputs: 1, post: 'logistic' });
    const gbMulti = trees(parseSklearn(find('iris', 'gb_20_d3_multiclass')));
    expect(gbMulti).toMatchObject({ outputs: 3, post: 'softmax' });
    expect(gbMulti.trees).toHaveLength(60);
    // Tree [stage][k] writes only output k.
    const leafColumns = gbMulti.trees.map((t) => {
      const used = new Set<number>();
      t.leafValues.forEach((v, i) => {
        if (v !== 0) used.add(i % 3);
      });
      return [...used];
    });
    expect(leafColumns.slice(0, 6)).toEqual([[0], [1], [2], [0], [1], [2]]);
    expect(ops(parseSklearn(find('wine', 'scaler_pca_logistic')))).toEqual([
      'scaler',
      'scaler',
      'linear',
      'linear',
      'classifier',
    ]);
    expect(ops(parseSklearn(find('iris', 'logistic_ovr_liblinear')))).toEqual([
      'linear',
      'activation',
      'normalizer',
      'classifier',
    ]);
    // Two classes: the label is d > 0, the probabilities the logistic of d.
    const binary = parseSklearn(find('breast_cancer', 'logistic_binary')).nodes.at(-1)!;
    expect(binary.op).toMatchObject({ kind: 'classifier', binary: 'complement', threshold: 0 });
    expect(binary.inputs).toHaveLength(2);
    expect(ops(parseSklearn(find('iris', 'svc_rbf_3class')))).toEqual(['svm', 'classifier']);
    const platt = parseSklearn(find('breast_cancer', 'svc_linear_probability_binary')).nodes[1];
    expect(platt.outputs).toHaveLength(3); // votes, decisions, probabilities
    expect(platt.op).toMatchObject({
      kind: 'svm',
      vectorsPerClass: [expect.any(Number), expect.any(Number)],
    });
    const onehot = parseSklearn(find('digits', 'onehot_columns_gb'));
    expect(ops(onehot).slice(0, 9)).toEqual([
      'select',
      'oneHot',
      'select',
      'oneHot',
      'select',
      'select',
      'scaler',
      'constant',
      'select',
    ]);
    expect(onehot.outputs).toEqual(['label', 'probabilities']);
  });
});

describe('NaN where scikit-learn refuses it', () => {
  it('is refused by predict, naming the row and column; where an imputer takes it, it is scored', async () => {
    const find = (dataset: string, name: string) =>
      loadSklearnFixture(dataset).models.find((m) => m.name === name)!;
    const tree = compile(parseSklearn(find('iris', 'tree_depth_3').model), { backend: T.cpuBackend });
    await expect(tree.predict(Float32Array.from([5, 3, 1, 0.2, 5, Number.NaN, 1, 0.2]))).rejects.toThrow(
      /predict: input 'input' row 1, column 1, is NaN; the source model does not accept missing values there/,
    );
    tree.dispose();
    const imputed = find('diabetes', 'imputer_forest');
    expect(imputed.nan_refused.every((r) => !r)).toBe(true);
    const program = compile(parseSklearn(imputed.model), { backend: T.cpuBackend });
    const row = loadSklearnFixture('diabetes').rows[0].map((v, i) => (i % 3 === 0 ? Number.NaN : v));
    expect((await program.predict(Float32Array.from(row))).variable).toHaveLength(1);
    program.dispose();
  });
});

describe('parseSklearn refuses bad documents', () => {
  const doc = (estimator: object, extra: object = {}) =>
    JSON.stringify({ format: 'tessera-sklearn', version: 1, n_features_in_: 2, estimator, ...extra });
  const refuses = (text: unknown, message: RegExp) => expectRefusal(() => parseSklearn(text), message);
  const scaler = { class: 'StandardScaler', with_mean: true, with_std: true, mean_: [0, 1], scale_: [1, 2] };

  it('names the document, the version and unknown estimators', () => {
    refuses('{"format": "tessera-sklearn", "version": 1', /not valid JSON/);
    refuses(42, /expected the scikit-learn export as JSON text, bytes or an object, got the number 42/);
    refuses(JSON.stringify({ format: 'onnx' }), /file\.format: expected 'tessera-sklearn'/);
    refuses(
      doc(scaler, { version: 2 }),
      /file\.version: version 2 is not supported; this parser reads version 1/,
    );
    refuses(doc(scaler, { n_features_in_: 0 }), /file\.n_features_in_: expected an integer in 1\.\./);
    refuses(
      doc({ class: 'KNeighborsClassifier' }),
      /file\.estimator\.class: estimator 'KNeighborsClassifier' is not supported; supported: Pipeline, ColumnTransformer, StandardScaler.*MLPRegressor/,
    );
    refuses(doc({ class: 'toString' }), /estimator 'toString' is not supported/);
  });

  it('names the attribute that is missing, mistyped or inconsistent', () => {
    refuses(doc({ ...scaler, mean_: undefined }), /file\.estimator\.mean_: is missing/);
    refuses(doc({ ...scaler, scale_: [1, 0] }), /file\.estimator\.scale_: entry 1 is 0; a scale_ divides/);
    refuses(
      doc({ ...scaler, mean_: [0, 'x'] }),
      /file\.estimator\.mean_: entry 1: expected a finite number, got a string \("x"\)/,
    );
    refuses(
      doc({ ...scaler, mean_: [0, 1, 2] }),
      /nodes\[0\] \(StandardScaler: scaler\): offset must have 1 or 2 values \(one per input column\), got 3/,
    );
    refuses(
      doc({ class: 'LinearRegression', coef_: [1, 2, 3], intercept_: 0 }),
      /weight row 0 has 3 values, the input has 2 columns/,
    );
    refuses(
      doc({
        class: 'LogisticRegression',
        classes_: [0, 1, 2],
        coef_: [[1, 2]],
        intercept_: [0],
        multi_class: 'ovr',
      }),
      /file\.estimator\.coef_: has 1 rows for 3 classes, expected 3/,
    );
    refuses(
      doc({
        class: 'LogisticRegression',
        classes_: [0, 1],
        coef_: [[1, 2]],
        intercept_: [0],
        multi_class: 'auto',
      }),
      /multi_class: expected one of 'ovr', 'multinomial', got a string \("auto"\)/,
    );
    refuses(
      doc({ class: 'MinMaxScaler', min_: [0, 0], scale_: [1, 1], clip: true }),
      /clip=True is not supported/,
    );
    const tree = {
      children_left: [1, -1, -1],
      children_right: [2, -1, -1],
      feature: [0, -2, -2],
      threshold: [0.5, -2, -2],
    };
    refuses(
      doc({
        class: 'DecisionTreeRegressor',
        n_outputs_: 1,
        tree_: { ...tree, value: [[[1]], [[2]], [[3, 4]]] },
      }),
      /tree_\.value: a leaf has 2 values for 1 outputs/,
    );
    refuses(
      doc({
        class: 'DecisionTreeRegressor',
        n_outputs_: 1,
        tree_: {
          ...tree,
          children_left: [1, 0, -1],
          children_right: [2, 2, -1],
          feature: [0, 0, -2],
          value: [[[1]], [[2]], [[3]]],
        },
      }),
      /tree 0: node 1 has child 0, outside 1\.\.2/,
    );
    refuses(
      doc({ class: 'DecisionTreeClassifier', n_outputs_: 2, classes_: [0, 1], tree_: tree }),
      /n_outputs_: multi-output classifiers are not supported/,
    );
    refuses(
      doc({
        class: 'GradientBoostingRegressor',
        loss: 'poisson',
        learning_rate: 0.1,
        init_raw: [0],
        estimators_: [],
      }),
      /loss: expected one of 'squared_error', 'ls', 'absolute_error', 'lad', 'huber', 'quantile', got a string \("poisson"\)/,
    );
    refuses(
      doc({
        class: 'OneHotEncoder',
        categories_: [['a', 'b'], [1]],
        drop_idx_: null,
        handle_unknown: 'error',
        infrequent_enabled: false,
      }),
      /categories_\[0\]: string categories are not supported/,
    );
    refuses(
      doc({
        class: 'SimpleImputer',
        missing_values: 'nan',
        strategy: 'mean',
        statistics_: [1, 2],
        keep_empty_features: false,
        add_indicator: true,
      }),
      /add_indicator=True is not supported/,
    );
  });

  it('names the input columns as the DataFrame did, or refuses names that do not fit', () => {
    const named = parseSklearn(doc(scaler, { feature_names_in_: ['age', 'dose'] }));
    expect(named.inputs).toEqual([
      { name: 'input', kind: 'float', columns: 2, columnNames: ['age', 'dose'] },
    ]);
    refuses(
      doc(scaler, { feature_names_in_: ['age'] }),
      /file\.feature_names_in_: names 1 columns, n_features_in_ is 2/,
    );
    refuses(
      doc(scaler, { feature_names_in_: ['age', 3] }),
      /feature_names_in_\[1\]: expected a string, got the number 3/,
    );
  });

  it('refuses steps in the wrong place', () => {
    const clf = { class: 'LinearSVC', classes_: ['a', 'b'], coef_: [[1, 2]], intercept_: [0] };
    refuses(
      doc({
        class: 'Pipeline',
        steps: [
          { name: 'svc', estimator: clf },
          { name: 'scale', estimator: scaler },
        ],
      }),
      /file\.estimator\.steps\[0\]: only the last step may be a classifier/,
    );
    refuses(
      doc({ class: 'ColumnTransformer', transformers: [{ name: 'svc', estimator: clf, columns: [0, 1] }] }),
      /transformers\[0\]\.estimator: a ColumnTransformer part must be a transformer, got a classifier/,
    );
    refuses(
      doc({ class: 'ColumnTransformer', transformers: [{ name: 'x', estimator: scaler, columns: [0, 5] }] }),
      /index 5 is outside 0\.\.1/,
    );
  });
});

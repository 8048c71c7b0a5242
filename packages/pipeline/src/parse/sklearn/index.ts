/**
 * The JSON written by the package's scikit-learn exporter (python/export_sklearn.py) as a
 * pipeline. Each estimator's semantics are in its converter's file.
 */
import type { Pipeline, ValueInfo } from '../../ir/types.js';
import { PipelineBuilder } from '../builder.js';
import { JsonReader, readJsonDocument } from '../json.js';
import { gradientBoostingClassifier, gradientBoostingRegressor } from './boosting.js';
import { columnTransformer, pipeline } from './compose.js';
import type { Context, Converted, Converter } from './context.js';
import { pca } from './decomposition.js';
import { linearRegressor, linearSvc, logisticRegression } from './linear.js';
import { refusedNaN } from './missing.js';
import { mlpClassifier, mlpRegressor } from './mlp.js';
import {
  binarizer,
  maxAbsScaler,
  minMaxScaler,
  normalizer,
  oneHotEncoder,
  robustScaler,
  simpleImputer,
  standardScaler,
} from './preprocessing.js';
import { svc, svr } from './svm.js';
import { decisionTreeClassifier, decisionTreeRegressor, forestClassifier, forestRegressor } from './trees.js';

/** The exporter's format name and the versions this parser reads. */
export const SKLEARN_FORMAT = 'tessera-sklearn';
const VERSIONS = [1];

const CONVERTERS: Record<string, Converter> = {
  Pipeline: pipeline,
  ColumnTransformer: columnTransformer,
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  RobustScaler: robustScaler,
  MaxAbsScaler: maxAbsScaler,
  Normalizer: normalizer,
  SimpleImputer: simpleImputer,
  Binarizer: binarizer,
  OneHotEncoder: oneHotEncoder,
  PCA: pca,
  LinearRegression: linearRegressor,
  Ridge: linearRegressor,
  Lasso: linearRegressor,
  ElasticNet: linearRegressor,
  LinearSVR: linearRegressor,
  LogisticRegression: logisticRegression,
  LinearSVC: linearSvc,
  SVC: svc,
  SVR: svr,
  DecisionTreeClassifier: decisionTreeClassifier,
  DecisionTreeRegressor: decisionTreeRegressor,
  RandomForestClassifier: forestClassifier,
  RandomForestRegressor: forestRegressor,
  ExtraTreesClassifier: forestClassifier,
  ExtraTreesRegressor: forestRegressor,
  GradientBoostingClassifier: gradientBoostingClassifier,
  GradientBoostingRegressor: gradientBoostingRegressor,
  MLPClassifier: mlpClassifier,
  MLPRegressor: mlpRegressor,
};

/** The estimator classes {@link parseSklearn} reads. */
export const SKLEARN_ESTIMATORS: readonly string[] = Object.keys(CONVERTERS);

/** Names of the pipeline's outputs: a classifier's label and probabilities (or scores), else `variable`. */
const OUTPUTS = ['label', 'probabilities', 'scores', 'variable'];

/**
 * Parses the JSON written by the package's scikit-learn exporter (`python/export_sklearn.py`) into
 * a validated pipeline with one float input, `input` (n_features_in_ columns, named by
 * feature_names_in_ when the model was fitted on a DataFrame; `refusesNaN` marks the columns where
 * scikit-learn would refuse a missing value). A classifier's
 * outputs are `label` (classes_[argmax]) and `probabilities` (predict_proba), or `scores` where the
 * model has no predict_proba (LinearSVC, SVC); a regressor's or a transformer's is `variable`.
 *
 * @param json - the file's text or bytes, or the parsed object.
 * @throws {@link PipelineError} for malformed JSON, unsupported estimators (naming them and the
 * supported ones) and inconsistent attributes, naming the attribute's path.
 */
export function parseSklearn(json: unknown): Pipeline {
  const doc = new JsonReader(readJsonDocument(json, 'scikit-learn export'), 'file');
  if (doc.at('format').value !== SKLEARN_FORMAT)
    doc.at('format').fail(`expected '${SKLEARN_FORMAT}' (a file written by export_sklearn.py)`);
  const version = doc.at('version').integer(0);
  if (!VERSIONS.includes(version))
    doc
      .at('version')
      .fail(`version ${version} is not supported; this parser reads version ${VERSIONS.join(', ')}`);
  const columns = doc.at('n_features_in_').integer(1, 1 << 24);
  const names = doc.optional('feature_names_in_');
  const input: ValueInfo = { name: 'input', kind: 'float', columns };
  if (names) {
    input.columnNames = names.items().map((n) => n.string());
    if (input.columnNames.length !== columns)
      names.fail(`names ${input.columnNames.length} columns, n_features_in_ is ${columns}`);
  }
  const b = new PipelineBuilder('sklearn', [input], OUTPUTS);
  const ctx: Context = {
    b,
    acceptsNaN: new Set(),
    convert(est, x, name) {
      const cls = est.at('class').string();
      const converter = Object.hasOwn(CONVERTERS, cls) ? CONVERTERS[cls] : undefined;
      if (!converter)
        return est
          .at('class')
          .fail(`estimator '${cls}' is not supported; supported: ${SKLEARN_ESTIMATORS.join(', ')}`);
      return converter(est, x, name || cls, ctx);
    },
  };
  const out: Converted = ctx.convert(doc.at('estimator'), 'input', '');
  const pipeline =
    out.kind === 'classifier'
      ? b.finish([out.label, out.scores], ['label', out.probabilities ? 'probabilities' : 'scores'])
      : b.finish([out.value], ['variable']);
  const refused = refusedNaN(pipeline, ctx.acceptsNaN);
  if (refused) input.refusesNaN = refused;
  return pipeline;
}

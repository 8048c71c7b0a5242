/**
 * XGBoost JSON model files (`Booster.save_model('m.json')`, `XGBClassifier.save_model`; format of
 * XGBoost 1.7) as pipelines. Every tree is summed, as Booster.predict does by default (a
 * best_iteration the scikit-learn wrapper would stop at is not applied).
 * - gbtree: trees from readXgboostTree; tree i adds to the margin of class tree_info[i].
 * - dart: the same trees, each scaled by its weight_drop.
 * - gblinear: margin_g = Σ_f x_f · weights[f·G + g] + weights[F·G + g], a missing (NaN) feature
 *   contributing nothing (imputed with 0 here), G margins of F features.
 * The margin starts at the objective's transform of base_score (objectives.ts).
 */
import type { Pipeline, Tree, ValueInfo } from '../../ir/types.js';
import { PipelineBuilder } from '../builder.js';
import { JsonReader, readJsonDocument } from '../json.js';
import { OBJECTIVES } from './objectives.js';
import { readXgboostTree } from './trees.js';

/** The objectives {@link parseXgboost} reads. */
export const XGBOOST_OBJECTIVES: readonly string[] = Object.keys(OBJECTIVES);

const OUTPUTS = ['label', 'probabilities', 'variable'];

/** The trees of a gbtree model (`booster.model`), tree i scaled by weights[i]. */
function trees(model: JsonReader, outputs: number, weights?: number[]): Tree[] {
  const list = model.at('trees').items();
  if (list.length === 0) model.at('trees').fail('the model has no trees');
  const param = model.optional('gbtree_model_param');
  if (param && param.at('num_trees').numberText() !== list.length)
    param.at('num_trees').fail(`says ${param.at('num_trees').value} trees, there are ${list.length}`);
  const classes = model.at('tree_info').integers(0, outputs - 1, list.length);
  if (weights && weights.length !== list.length)
    model.fail(`weight_drop has ${weights.length} weights for ${list.length} trees`);
  return list.map((t, i) => readXgboostTree(t, outputs, classes[i], weights ? Math.fround(weights[i]) : 1));
}

/**
 * Parses an XGBoost JSON model into a validated pipeline with one float input, `input`
 * (num_feature columns, named by the model's feature_names when it has them; NaN is a missing
 * value). Outputs: `label` and `probabilities` for
 * binary:logistic (labels 0 and 1, probabilities [1 − p, p]) and the multi-class objectives (labels
 * 0 … num_class − 1); `variable` (one column, Booster.predict's value) for the others.
 *
 * @param json - the file's text or bytes, or the parsed object.
 * @throws {@link PipelineError} for malformed files, objectives and boosters that are not supported
 * (naming them and the supported ones) and categorical splits.
 */
export function parseXgboost(json: unknown): Pipeline {
  const doc = new JsonReader(readJsonDocument(json, 'XGBoost model', true), 'file');
  const learner = doc.at('learner');
  const params = learner.at('learner_model_param');
  const features = params.at('num_feature').numberText();
  if (!(Number.isInteger(features) && features >= 1 && features <= 2 ** 24))
    params
      .at('num_feature')
      .fail(`expected an integer in 1..${2 ** 24}, got ${params.at('num_feature').value}`);
  if (params.has('num_target') && params.at('num_target').numberText() !== 1)
    params.at('num_target').fail('models with several targets are not supported');
  const name = learner.at('objective').at('name').string();
  const objective = Object.hasOwn(OBJECTIVES, name) ? OBJECTIVES[name] : undefined;
  if (!objective)
    return learner
      .at('objective')
      .at('name')
      .fail(`objective '${name}' is not supported; supported: ${XGBOOST_OBJECTIVES.join(', ')}`);
  const numClass = params.at('num_class').numberText();
  const outputs = objective.head === 'multiclass' ? numClass : 1;
  if (!(Number.isInteger(outputs) && outputs >= (objective.head === 'multiclass' ? 2 : 1)))
    params.at('num_class').fail(`${name} needs num_class >= 2, got ${params.at('num_class').value}`);
  const baseScore = Math.fround(params.at('base_score').numberText());
  const base = Math.fround(objective.margin(baseScore));
  if (!Number.isFinite(base)) params.at('base_score').fail(`${baseScore} has no finite margin under ${name}`);

  const input: ValueInfo = { name: 'input', kind: 'float', columns: features };
  const names = learner.optional('feature_names')?.items();
  if (names?.length) {
    input.columnNames = names.map((n) => n.string());
    if (names.length !== features)
      learner.at('feature_names').fail(`names ${names.length} features, num_feature is ${features}`);
  }
  const b = new PipelineBuilder('xgboost', [input], OUTPUTS);
  const booster = learner.at('gradient_booster');
  const kind = booster.at('name').oneOf(['gbtree', 'dart', 'gblinear'] as const);
  let scores: string;
  if (kind === 'gblinear') {
    const w = booster
      .at('model')
      .at('weights')
      .numbers(false, (features + 1) * outputs);
    const weights = Array.from({ length: outputs }, (_, g) =>
      Array.from({ length: features }, (_, f) => Math.fround(w[f * outputs + g])),
    );
    const bias = Array.from({ length: outputs }, (_, g) => Math.fround(w[features * outputs + g]) + base);
    const present = b.add1('missing', { kind: 'imputer', missing: Number.NaN, fill: [0] }, ['input']);
    scores = b.add1('gblinear', { kind: 'linear', weights, bias, post: objective.post }, [present]);
  } else {
    const model = kind === 'dart' ? booster.at('gbtree').at('model') : booster.at('model');
    const weights = kind === 'dart' ? booster.at('weight_drop').numbers() : undefined;
    const op = {
      kind: 'trees',
      trees: trees(model, outputs, weights),
      outputs,
      aggregate: 'sum',
      base: new Array<number>(outputs).fill(base),
      post: objective.post,
    } as const;
    scores = b.add1(kind, op, ['input']);
  }
  if (objective.head === 'regressor') return b.finish([scores], ['variable']);
  const labels = Array.from({ length: objective.head === 'binary' ? 2 : outputs }, (_, c) => c);
  const [label, probabilities] = b.classify(
    'classes',
    scores,
    labels,
    objective.head === 'binary' ? 'complement' : 'none',
  );
  return b.finish([label, probabilities], ['label', 'probabilities']);
}

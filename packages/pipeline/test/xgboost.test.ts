// parseXgboost: every fixture model (tools/fixtures/gen_pipeline_xgboost.py, XGBoost 1.7) parsed and
// evaluated by the IR reference gives XGBoost's margins bit for bit (float32 sums in tree order, as
// XGBoost adds them) and its predictions; bad files are refused naming what is wrong.
import { describe, expect, it } from 'vitest';
import { type Pipeline, parseXgboost, type TreeEnsembleOp } from '../src/index.js';
import { evaluate, expectOutputs } from './ir-reference.js';
import { expectRefusal } from './refusal.js';
import {
  expectedOutputs,
  loadXgboostCase as load,
  rowsOf,
  XGBOOST_CASES,
  xgboostFile,
} from './xgboost-fixtures.js';

// XGBoost applies its links in float32 (expf, 1/(1 + expf(−x))) to the float32 margin; the
// reference applies them in float64: they differ by a few float32 ulps.
const LINK_RTOL = 1e-6;
const LINK_ATOL = 1e-7;

/** The pipeline up to its margin: the booster's node with no link, as its only output. */
function marginOf(p: Pipeline): Pipeline {
  const i = p.nodes.findIndex((n) => n.name === 'gbtree' || n.name === 'dart' || n.name === 'gblinear');
  const node = p.nodes[i];
  const nodes = [...p.nodes.slice(0, i), { ...node, op: { ...node.op, post: 'none' } as typeof node.op }];
  return { ...p, nodes, outputs: node.outputs };
}

describe('parseXgboost matches XGBoost 1.7', () => {
  it.each(XGBOOST_CASES)('%s', (name) => {
    const c = load(name);
    const pipeline = parseXgboost(JSON.stringify(c.model));
    const rows = rowsOf(c);
    const margin = Object.values(evaluate(marginOf(pipeline), rows, { float32Sums: true }))[0];
    expect(margin, 'margins, bit for bit').toEqual(c.margin);
    const want = expectedOutputs(c);
    expect(pipeline.outputs).toEqual(Object.keys(want));
    const got = evaluate(pipeline, rows);
    expectOutputs(got, want, LINK_RTOL, LINK_ATOL, name);
  });

  it('reads every tree, its class and the booster kind', () => {
    const trees = (p: Pipeline) => p.nodes.find((n) => n.op.kind === 'trees')!.op as TreeEnsembleOp;
    const softprob = load('multi_softprob_iris');
    expect(parseXgboost(softprob.model).inputs[0].columnNames).toEqual([
      'sepal length (cm)',
      'sepal width (cm)',
      'petal length (cm)',
      'petal width (cm)',
    ]);
    expect(parseXgboost(load('count_poisson').model).inputs[0].columnNames).toBeUndefined();
    const op = trees(parseXgboost(softprob.model));
    expect(op.trees).toHaveLength(60);
    expect(op).toMatchObject({ outputs: 3, aggregate: 'sum', post: 'softmax', base: [0.5, 0.5, 0.5] });
    expect(op.trees[0].rule.every((r) => r === 'lt')).toBe(true);
    const forest = trees(parseXgboost(load('random_forest_iris').model));
    expect(forest.trees).toHaveLength(12); // 4 parallel trees × 3 classes, one round
    const stumps = trees(parseXgboost(load('squarederror_100_stumps').model));
    expect(stumps.trees).toHaveLength(100);
    expect(stumps.trees.every((t) => t.feature.length === 3)).toBe(true);
    const poisson = trees(parseXgboost(load('count_poisson').model));
    expect(poisson).toMatchObject({ post: 'exp', base: [Math.fround(Math.log(0.5))] });
    const binary = parseXgboost(load('binary_logistic_base_score').model);
    // −logf(1/0.3f − 1) in float32 steps is one ulp from the float64 logit of 0.3f.
    expect(trees(binary).base).toEqual([-0.8472978472709656]);
    const linear = parseXgboost(load('gblinear_regression').model);
    expect(linear.nodes.map((n) => n.op.kind)).toEqual(['imputer', 'linear']);
  });
});

/** The parts of a model file the refusal tests edit. */
interface EditableModel {
  learner: {
    objective: { name: string };
    learner_model_param: Record<string, string>;
    gradient_booster: {
      name: string;
      model: {
        tree_info: number[];
        trees: {
          left_children: number[];
          split_indices: number[];
          default_left: number[];
          tree_param: Record<string, string>;
        }[];
      };
    };
  };
}

describe('parseXgboost refuses bad files', () => {
  const base = load('binary_logistic_base_score').model as unknown as EditableModel;
  const edit = (f: (m: EditableModel) => void) => {
    const m = structuredClone(base);
    f(m);
    return JSON.stringify(m);
  };
  const refuses = (text: unknown, message: RegExp) => expectRefusal(() => parseXgboost(text), message);
  const tree0 = (m: EditableModel) => m.learner.gradient_booster.model.trees[0];

  it('names objectives, boosters and splits it does not support', () => {
    refuses(
      xgboostFile('categorical'),
      /trees\[0\]\.split_type: node 0 splits on categories; categorical splits are not supported/,
    );
    refuses(
      edit((m) => {
        m.learner.objective.name = 'rank:pairwise';
      }),
      /file\.learner\.objective\.name: objective 'rank:pairwise' is not supported; supported: reg:squarederror, .*reg:tweedie/,
    );
    refuses(
      edit((m) => {
        m.learner.gradient_booster.name = 'gbforest';
      }),
      /gradient_booster\.name: expected one of 'gbtree', 'dart', 'gblinear', got a string \("gbforest"\)/,
    );
    refuses(
      edit((m) => {
        m.learner.learner_model_param.num_target = '2';
      }),
      /num_target: models with several targets are not supported/,
    );
    refuses(
      edit((m) => {
        tree0(m).tree_param.num_deleted = '2';
      }),
      /num_deleted: trees with deleted nodes \(pruned in place\) are not supported/,
    );
  });

  it('names inconsistent arrays and parameters', () => {
    refuses('{"learner": ', /the XGBoost model is not valid JSON/);
    refuses(
      edit((m) => {
        tree0(m).left_children[0] = 0;
      }),
      /tree 0: node 0 has child 0, outside 1\.\./,
    );
    refuses(
      edit((m) => {
        tree0(m).split_indices[0] = 99;
      }),
      /tree 0: node 0 tests feature 99, the input has 30 columns/,
    );
    refuses(
      edit((m) => {
        tree0(m).default_left.pop();
      }),
      /trees\[0\]\.default_left: expected \d+ flags, got \d+/,
    );
    refuses(
      edit((m) => {
        m.learner.gradient_booster.model.tree_info[0] = 1;
      }),
      /tree_info: entry 0: expected an integer in 0\.\.0, got 1/,
    );
    refuses(
      edit((m) => {
        m.learner.learner_model_param.base_score = '1.5';
      }),
      /base_score: 1\.5 has no finite margin under binary:logistic/,
    );
    refuses(
      edit((m) => {
        m.learner.learner_model_param.num_feature = 'many';
      }),
      /num_feature: expected a finite number \(or one written as a string\), got a string \("many"\)/,
    );
  });
});

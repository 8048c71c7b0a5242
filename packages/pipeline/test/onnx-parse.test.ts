// parseOnnx at the level of the intermediate pipeline: each ONNX operator becomes the operators
// that compute what onnxruntime computes, and what is not supported is refused by name.
import { describe, expect, it } from 'vitest';
import {
  type ClassifierOp,
  type Operator,
  type Pipeline,
  PipelineError,
  parseOnnx,
  SUPPORTED_ONNX_OPERATORS,
  type SvmOp,
  type TreeEnsembleOp,
} from '../src/index.js';
import { attr, type ModelSpec, model, node, tensor } from './onnx-build.js';

const ops = (p: Pipeline): Operator[] => p.nodes.map((n) => n.op);
const kinds = (p: Pipeline): string[] => p.nodes.map((n) => n.op.kind);

/** One node reading X [rows, columns] and writing `outputs`. */
function single(
  op: string,
  attributes: Parameters<typeof node>[3],
  outputs = ['Y'],
  extra: Partial<ModelSpec> = {},
): Uint8Array {
  return model({
    inputs: [['X', 'float', 3]],
    outputs,
    nodes: [node(op, ['X', ...(extra.initializers ?? []).map((t) => t.name!)], outputs, attributes)],
    ...extra,
  });
}

function refuses(bytes: Uint8Array, ...patterns: RegExp[]): void {
  let error: unknown;
  try {
    parseOnnx(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PipelineError);
  for (const p of patterns) expect((error as Error).message).toMatch(p);
}

/** A stump on feature 0 (≤ 0.5: node 1, else node 2) with leaf weights [node, id, weight]. */
function stump(weights: [number, number, number][], extra: Record<string, ReturnType<typeof attr.f>> = {}) {
  return {
    nodes_treeids: attr.ints([0, 0, 0]),
    nodes_nodeids: attr.ints([0, 1, 2]),
    nodes_featureids: attr.ints([0, 0, 0]),
    nodes_modes: attr.strings(['BRANCH_LEQ', 'LEAF', 'LEAF']),
    nodes_values: attr.floats([0.5, 0, 0]),
    nodes_truenodeids: attr.ints([1, 0, 0]),
    nodes_falsenodeids: attr.ints([2, 0, 0]),
    ...extra,
    [`${extra.n_targets ? 'target' : 'class'}_treeids`]: attr.ints(weights.map(() => 0)),
    [`${extra.n_targets ? 'target' : 'class'}_nodeids`]: attr.ints(weights.map((w) => w[0])),
    [`${extra.n_targets ? 'target' : 'class'}_ids`]: attr.ints(weights.map((w) => w[1])),
    [`${extra.n_targets ? 'target' : 'class'}_weights`]: attr.floats(weights.map((w) => w[2])),
  };
}

const twoLabels = { classlabels_int64s: attr.ints([3, 7]) };
const classifierOutputs = ['label', 'probabilities'];

/** A two-class stump weighing class 0 with probabilities 0.2 and 0.9. */
const binaryStump = (extra: Record<string, ReturnType<typeof attr.f>> = {}) =>
  stump(
    [
      [1, 0, 0.2],
      [2, 0, 0.9],
    ],
    { ...twoLabels, ...extra },
  );

/** A model of one TreeEnsembleClassifier, parsed. */
const classify = (attributes: Parameters<typeof node>[3]) =>
  parseOnnx(single('TreeEnsembleClassifier', attributes, classifierOutputs));

describe('preprocessing operators', () => {
  it('Scaler, Normalizer, Binarizer, Imputer map to their operators', () => {
    expect(
      ops(parseOnnx(single('Scaler', { offset: attr.floats([1, 2, 3]), scale: attr.floats([2, 2, 2]) }))),
    ).toEqual([{ kind: 'scaler', offset: [1, 2, 3], scale: [2, 2, 2] }]);
    // onnxruntime's MAX is the row's largest value, not its largest magnitude.
    expect(ops(parseOnnx(single('Normalizer', { norm: attr.s('MAX') })))).toEqual([
      { kind: 'normalizer', norm: 'largest' },
    ]);
    expect(ops(parseOnnx(single('Normalizer', { norm: attr.s('L2') })))[0]).toEqual({
      kind: 'normalizer',
      norm: 'l2',
    });
    expect(ops(parseOnnx(single('Binarizer', {})))[0]).toEqual({ kind: 'binarizer', threshold: 0 });
    const imputer = ops(
      parseOnnx(
        single('Imputer', {
          imputed_value_floats: attr.floats([4]),
          replaced_value_float: attr.f(Number.NaN),
        }),
      ),
    )[0];
    expect(imputer).toEqual({ kind: 'imputer', missing: Number.NaN, fill: [4] });
    // One fill value per column, or the first for all (as onnxruntime reads other lengths).
    expect(ops(parseOnnx(single('Imputer', { imputed_value_floats: attr.floats([4, 5]) })))[0]).toEqual({
      kind: 'imputer',
      missing: 0,
      fill: [4],
    });
  });

  it('OneHotEncoder: integer and string categories, zeros, float inputs truncated first', () => {
    const ints = parseOnnx(
      model({
        inputs: [['C', 'int64', 2]],
        outputs: ['Y'],
        nodes: [node('OneHotEncoder', ['C'], ['Y'], { cats_int64s: attr.ints([5, 1]), zeros: attr.i(0) })],
      }),
    );
    expect(ops(ints)).toEqual([
      {
        kind: 'oneHot',
        categories: [
          [5, 1],
          [5, 1],
        ],
        unknown: 'error',
      },
    ]);
    const strings = parseOnnx(
      model({
        inputs: [['S', 'string', 1]],
        outputs: ['Y'],
        nodes: [node('OneHotEncoder', ['S'], ['Y'], { cats_strings: attr.strings(['a', 'b']) })],
      }),
    );
    expect(ops(strings)).toEqual([{ kind: 'oneHot', categories: [['a', 'b']], unknown: 'zeros' }]);
    const floats = parseOnnx(single('OneHotEncoder', { cats_int64s: attr.ints([0, 2]) }));
    expect(kinds(floats)).toEqual(['activation', 'oneHot']);
    expect(ops(floats)[0]).toEqual({ kind: 'activation', fn: 'trunc' });
  });

  it('LabelEncoder in the forms of ai.onnx.ml 1, 2 and 4', () => {
    const v1 = (elem: 'string' | 'int64') =>
      parseOnnx(
        model({
          inputs: [['C', elem, 1]],
          outputs: ['Y'],
          nodes: [node('LabelEncoder', ['C'], ['Y'], { classes_strings: attr.strings(['a', 'b', 'a']) })],
        }),
      ).nodes[0].op;
    // Strings to their index (a repeated class keeps its last), or indices back to strings.
    expect(v1('string')).toEqual({ kind: 'labelEncoder', keys: ['a', 'b'], values: [2, 1], fallback: -1 });
    expect(v1('int64')).toEqual({
      kind: 'labelEncoder',
      keys: [0, 1, 2],
      values: ['a', 'b', 'a'],
      fallback: '_Unused',
    });
    const v2 = parseOnnx(
      model({
        inputs: [['X', 'float', 1]],
        outputs: ['Y'],
        ml: 2,
        nodes: [
          node('LabelEncoder', ['X'], ['Y'], {
            keys_floats: attr.floats([1, Number.NaN, 1, 2]),
            values_strings: attr.strings(['one', 'nan', 'uno', 'two']),
          }),
        ],
      }),
    ).nodes[0].op;
    // The first of repeated keys wins; before version 4 a NaN key matches nothing.
    expect(v2).toEqual({ kind: 'labelEncoder', keys: [1, 2], values: ['one', 'two'], fallback: '_Unused' });
    const v4 = parseOnnx(
      model({
        inputs: [['X', 'float', 1]],
        outputs: ['Y'],
        ml: 4,
        nodes: [
          node('LabelEncoder', ['X'], ['Y'], {
            keys_tensor: attr.t(tensor('k', 'float', [2], [Number.NaN, 1])),
            values_tensor: attr.t(tensor('v', 'int64', [2], [5, 6])),
            default_tensor: attr.t(tensor('d', 'int64', [1], [-9])),
          }),
        ],
      }),
    ).nodes[0].op;
    expect(v4).toEqual({ kind: 'labelEncoder', keys: [Number.NaN, 1], values: [5, 6], fallback: -9 });
  });

  it('ArrayFeatureExtractor, Gather, Concat and FeatureVectorizer pick and join columns', () => {
    const idx = tensor('idx', 'int64', [2], [2, 0]);
    expect(ops(parseOnnx(single('ArrayFeatureExtractor', {}, ['Y'], { initializers: [idx] })))).toEqual([
      { kind: 'select', indices: [2, 0] },
    ]);
    const g = tensor('g', 'int64', [1], [-1]);
    expect(ops(parseOnnx(single('Gather', { axis: attr.i(1) }, ['Y'], { initializers: [g] })))).toEqual([
      { kind: 'select', indices: [2] },
    ]);
    const joined = parseOnnx(
      model({
        inputs: [
          ['A', 'float', 2],
          ['B', 'float', 3],
        ],
        outputs: ['Y', 'Z'],
        nodes: [
          node('Concat', ['A', 'B'], ['Y'], { axis: attr.i(1) }),
          node('FeatureVectorizer', ['B', 'A'], ['Z'], { inputdimensions: attr.ints([3, 2]) }),
        ],
      }),
    );
    expect(joined.nodes.map((n) => [n.op.kind, n.inputs])).toEqual([
      ['concat', ['A', 'B']],
      ['concat', ['B', 'A']],
    ]);
  });

  it('one-hot codes joined on the last axis of [rows, 1, k] and reshaped to a matrix, as skl2onnx writes them', () => {
    const p = parseOnnx(
      model({
        inputs: [['C', 'int64', 2]],
        outputs: ['Y'],
        initializers: [
          tensor('i0', 'int64', [1], [0]),
          tensor('i1', 'int64', [1], [1]),
          tensor('shape', 'int64', [2], [-1, 5]),
        ],
        nodes: [
          node('Gather', ['C', 'i0'], ['c0'], { axis: attr.i(1) }),
          node('Gather', ['C', 'i1'], ['c1'], { axis: attr.i(1) }),
          node('OneHotEncoder', ['c0'], ['h0'], { cats_int64s: attr.ints([1, 2]) }),
          node('OneHotEncoder', ['c1'], ['h1'], { cats_int64s: attr.ints([7, 8, 9]) }),
          node('Concat', ['h0', 'h1'], ['h'], { axis: attr.i(-1) }),
          node('Reshape', ['h', 'shape'], ['Y']),
        ],
      }),
    );
    expect(kinds(p)).toEqual(['select', 'oneHot', 'select', 'oneHot', 'concat']);
    expect(p.nodes[4].outputs).toEqual(['Y']); // the reshaped name is the concatenation's
  });

  it('a ZipMap reports the probability matrix, under its own name', () => {
    const p = classify(binaryStump());
    expect(p.outputs).toEqual(classifierOutputs);
    const zipped = parseOnnx(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['label', 'output_probability'],
        nodes: [
          node('TreeEnsembleClassifier', ['X'], ['label', 'probabilities'], binaryStump()),
          node('ZipMap', ['probabilities'], ['output_probability'], {
            classlabels_int64s: attr.ints([3, 7]),
          }),
        ],
      }),
    );
    expect(zipped.nodes.at(-1)!.outputs).toEqual(['label', 'output_probability']);
  });
});

describe('linear models and SVMs', () => {
  const coefficients = attr.floats([1, 0, -1, 0.5, 0.5, 0.5]);

  it('LinearClassifier: linear scores, then the head with the link on the probabilities only', () => {
    const p = parseOnnx(
      single(
        'LinearClassifier',
        {
          coefficients,
          intercepts: attr.floats([0.1, -0.1]),
          classlabels_strings: attr.strings(['a', 'b']),
          post_transform: attr.s('SOFTMAX'),
        },
        classifierOutputs,
      ),
    );
    expect(ops(p)).toEqual([
      {
        kind: 'linear',
        weights: [
          [1, 0, -1],
          [0.5, 0.5, 0.5],
        ],
        bias: [0.1, -0.1].map(Math.fround),
        post: 'none',
      },
      { kind: 'classifier', labels: ['a', 'b'], binary: 'none', post: 'softmax' },
    ]);
  });

  it('LinearClassifier with one score row: label where s > 0; [1 − s, s], or [σ(−s), σ(s)] with LOGISTIC', () => {
    const head = (post: string) =>
      parseOnnx(
        single(
          'LinearClassifier',
          {
            coefficients: attr.floats([1, 2, 3]),
            intercepts: attr.floats([0]),
            classlabels_ints: attr.ints([0, 1]),
            post_transform: attr.s(post),
          },
          classifierOutputs,
        ),
      ).nodes[1].op as ClassifierOp;
    expect(head('NONE')).toEqual({ kind: 'classifier', labels: [0, 1], binary: 'complement', threshold: 0 });
    expect(head('SOFTMAX')).toEqual({
      kind: 'classifier',
      labels: [0, 1],
      binary: 'complement',
      threshold: 0,
    });
    expect(head('LOGISTIC')).toEqual({
      kind: 'classifier',
      labels: [0, 1],
      binary: 'negate',
      post: 'logistic',
      threshold: 0,
    });
  });

  it('LinearRegressor applies only PROBIT to a single target, every link to several', () => {
    const post = (targets: number, link: string) =>
      (
        parseOnnx(
          single('LinearRegressor', {
            coefficients: attr.floats(Array(3 * targets).fill(1)),
            targets: attr.i(targets),
            post_transform: attr.s(link),
          }),
        ).nodes[0].op as { post: string }
      ).post;
    expect([post(1, 'LOGISTIC'), post(1, 'PROBIT'), post(2, 'SOFTMAX')]).toEqual([
      'none',
      'probit',
      'softmax',
    ]);
  });

  const svm = {
    kernel_type: attr.s('RBF'),
    kernel_params: attr.floats([0.5, 0, 3]),
    support_vectors: attr.floats([0, 0, 0, 1, 1, 1, 2, 0, 1]),
    vectors_per_class: attr.ints([2, 1]),
    coefficients: attr.floats([0.7, 0.3, -1]),
    rho: attr.floats([0.1]),
    classlabels_ints: attr.ints([3, 7]),
  };

  it('SVMClassifier: votes decide the label; decisions or Platt probabilities are reported', () => {
    const plain = parseOnnx(single('SVMClassifier', svm, classifierOutputs));
    const machine = plain.nodes[0];
    expect(machine.op).toMatchObject({
      kind: 'svm',
      kernel: 'rbf',
      gamma: 0.5,
      supportVectors: [
        [0, 0, 0],
        [1, 1, 1],
        [2, 0, 1],
      ],
      coefficients: [[0.7, 0.3, -1].map(Math.fround)],
      vectorsPerClass: [2, 1],
    } satisfies Partial<SvmOp>);
    expect(machine.outputs).toHaveLength(2);
    expect(plain.nodes[1].inputs).toEqual(machine.outputs);
    expect(plain.nodes[1].op).toEqual({ kind: 'classifier', labels: [3, 7], binary: 'negate' });
    const platt = parseOnnx(
      single(
        'SVMClassifier',
        { ...svm, prob_a: attr.floats([-2]), prob_b: attr.floats([0.3]) },
        classifierOutputs,
      ),
    );
    expect((platt.nodes[0].op as SvmOp).platt).toEqual({ a: [-2], b: [Math.fround(0.3)] });
    expect(platt.nodes[1].inputs).toEqual([platt.nodes[0].outputs[0], platt.nodes[0].outputs[2]]);
  });

  it('SVMRegressor: a kernel machine, or without support vectors x · w + rho', () => {
    const machine = parseOnnx(
      single('SVMRegressor', {
        kernel_type: attr.s('POLY'),
        kernel_params: attr.floats([1, 2, 3]),
        support_vectors: attr.floats([1, 2, 3]),
        coefficients: attr.floats([4]),
        rho: attr.floats([5]),
        n_supports: attr.i(1),
        post_transform: attr.s('LOGISTIC'),
      }),
    ).nodes[0].op;
    expect(machine).toMatchObject({
      kind: 'svm',
      kernel: 'poly',
      degree: 3,
      coefficients: [[4]],
      rho: [5],
      post: 'none',
    });
    const linear = parseOnnx(
      single('SVMRegressor', {
        kernel_params: attr.floats([0, 0, 0]),
        coefficients: attr.floats([1, 2, 3]),
        rho: attr.floats([5]),
        n_supports: attr.i(0),
      }),
    ).nodes[0].op;
    expect(linear).toEqual({ kind: 'linear', weights: [[1, 2, 3]], bias: [5], post: 'none' });
  });
});

describe('tree ensembles', () => {
  const trees = (p: Pipeline) => p.nodes[0].op as TreeEnsembleOp;

  it('a two-class ensemble weighing class 0: one score; probabilities (≥ 0) cut at 0.5, margins at 0', () => {
    const positive = classify(binaryStump());
    expect(trees(positive)).toMatchObject({ outputs: 1, aggregate: 'sum', base: [0], post: 'none' });
    expect(Array.from(trees(positive).trees[0].leafValues)).toEqual([0, Math.fround(0.2), Math.fround(0.9)]);
    expect(positive.nodes[1].op).toEqual({
      kind: 'classifier',
      labels: [3, 7],
      binary: 'complement',
      threshold: 0.5,
    });
    const margin = parseOnnx(
      single(
        'TreeEnsembleClassifier',
        stump(
          [
            [1, 0, -0.2],
            [2, 0, 0.9],
          ],
          { ...twoLabels, base_values: attr.floats([0.25]), post_transform: attr.s('LOGISTIC') },
        ),
        classifierOutputs,
      ),
    );
    expect(trees(margin).base).toEqual([0.25]);
    expect(margin.nodes[1].op).toEqual({
      kind: 'classifier',
      labels: [3, 7],
      binary: 'negate',
      post: 'logistic',
      threshold: 0,
    });
  });

  it('multi-class ensembles sum class weights, add base values, and link in the head', () => {
    const p = parseOnnx(
      single(
        'TreeEnsembleClassifier',
        stump(
          [
            [1, 0, 0.5],
            [1, 1, 0.25],
            [1, 1, 0.25],
            [1, 2, 0],
            [2, 0, 0],
            [2, 1, 0],
            [2, 2, 1],
          ],
          {
            classlabels_strings: attr.strings(['a', 'b', 'c']),
            base_values: attr.floats([1, 2, 3]),
            post_transform: attr.s('SOFTMAX_ZERO'),
          },
        ),
        classifierOutputs,
      ),
    );
    expect(trees(p)).toMatchObject({ outputs: 3, base: [1, 2, 3], post: 'none' });
    expect(Array.from(trees(p).trees[0].leafValues)).toEqual([0, 0, 0, 0.5, 0.5, 0, 0, 0, 1]);
    expect(p.nodes[1].op).toEqual({
      kind: 'classifier',
      labels: ['a', 'b', 'c'],
      binary: 'none',
      post: 'softmax_zero',
    });
  });

  it('regressors: every aggregate; a single target applies only PROBIT; ai.onnx.ml 3 tensors', () => {
    for (const [agg, kind] of [
      ['SUM', 'sum'],
      ['AVERAGE', 'average'],
      ['MIN', 'min'],
      ['MAX', 'max'],
    ]) {
      const p = parseOnnx(
        single(
          'TreeEnsembleRegressor',
          stump(
            [
              [1, 0, 1],
              [2, 0, 2],
            ],
            { n_targets: attr.i(1), aggregate_function: attr.s(agg), post_transform: attr.s('LOGISTIC') },
          ),
        ),
      );
      expect(trees(p)).toMatchObject({ aggregate: kind, post: 'none', outputs: 1 });
    }
    const tensors = parseOnnx(
      single(
        'TreeEnsembleRegressor',
        (({ nodes_values: _, ...rest }) => ({
          ...rest,
          nodes_values_as_tensor: attr.t(tensor('v', 'double', [3], [0.1, 0, 0])),
          base_values_as_tensor: attr.t(tensor('b', 'float', [1], [3])),
        }))(
          stump(
            [
              [1, 0, 1],
              [2, 0, 2],
            ],
            { n_targets: attr.i(1), post_transform: attr.s('PROBIT') },
          ),
        ),
      ),
    );
    // onnxruntime compares float inputs with float thresholds: a double is rounded to float.
    expect(trees(tensors).trees[0].threshold[0]).toBe(Math.fround(0.1));
    expect(trees(tensors)).toMatchObject({ base: [3], post: 'probit' });
  });

  it('reads the node list as onnxruntime does: first node of a tree as its root, shared subtrees copied, unreachable nodes dropped, NaN ≠ t', () => {
    const p = parseOnnx(
      single('TreeEnsembleRegressor', {
        n_targets: attr.i(1),
        nodes_treeids: attr.ints([0, 0, 0, 0, 0]),
        nodes_nodeids: attr.ints([0, 1, 2, 3, 4]),
        nodes_featureids: attr.ints([0, 1, 0, 0, 0]),
        nodes_modes: attr.strings(['BRANCH_NEQ', 'BRANCH_GT', 'LEAF', 'LEAF', 'LEAF']),
        nodes_values: attr.floats([0, 1, 0, 0, 0]),
        nodes_truenodeids: attr.ints([1, 2, 0, 0, 0]),
        nodes_falsenodeids: attr.ints([2, 3, 0, 0, 0]),
        target_treeids: attr.ints([0, 0, 0]),
        target_nodeids: attr.ints([2, 3, 4]),
        target_ids: attr.ints([0, 0, 0]),
        target_weights: attr.floats([2, 3, 4]),
      }),
    );
    const t = trees(p).trees[0];
    // Node 2 is reached twice (copied), node 4 never.
    expect(Array.from(t.feature)).toEqual([0, 1, -1, -1, -1]);
    expect(t.rule.slice(0, 2)).toEqual(['neq', 'gt']);
    expect(Array.from(t.trueChild)).toEqual([1, 2, -1, -1, -1]);
    expect(Array.from(t.falseChild)).toEqual([4, 3, -1, -1, -1]);
    expect(Array.from(t.leafValues)).toEqual([0, 0, 2, 3, 2]);
    expect(Array.from(t.missingTrue)).toEqual([1, 0, 0, 0, 0]);
  });
});

describe('standard operators', () => {
  it('Gemm: transB, alpha and beta; alpha ≠ 1 scales the product as onnxruntime does', () => {
    const b = tensor('B', 'float', [2, 3], [1, 2, 3, 4, 5, 6]);
    const c = tensor('C', 'float', [2], [1, -1]);
    const gemm = (alpha: number) =>
      parseOnnx(
        single('Gemm', { transB: attr.i(1), alpha: attr.f(alpha), beta: attr.f(0.5) }, ['Y'], {
          initializers: [b, c],
        }),
      );
    expect(ops(gemm(1))).toEqual([
      {
        kind: 'linear',
        weights: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        bias: [0.5, -0.5],
        post: 'none',
      },
    ]);
    expect(ops(gemm(2))).toEqual([
      {
        kind: 'linear',
        weights: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        bias: [0, 0],
        post: 'none',
      },
      { kind: 'constant', fn: 'mul', value: [2] },
      { kind: 'constant', fn: 'add', value: [0.5, -0.5] },
    ]);
  });

  it('MatMul, arithmetic with constants (either side), activations, softmax, folding', () => {
    const p = parseOnnx(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['Y'],
        initializers: [
          tensor('W', 'float', [3, 2], [1, 2, 3, 4, 5, 6]),
          tensor('var', 'float', [2], [4, 9]),
          tensor('one', 'float', [], [1]),
        ],
        nodes: [
          node('MatMul', ['X', 'W'], ['a']),
          node('Sqrt', ['var'], ['sd']),
          node('Div', ['a', 'sd'], ['b']),
          node('Sub', ['one', 'b'], ['c']),
          node('Relu', ['c'], ['d']),
          node('Softmax', ['d'], ['Y'], { axis: attr.i(1) }),
        ],
      }),
    );
    expect(ops(p)).toEqual([
      {
        kind: 'linear',
        weights: [
          [1, 3, 5],
          [2, 4, 6],
        ],
        bias: [0, 0],
        post: 'none',
      },
      { kind: 'constant', fn: 'div', value: [2, 3] },
      { kind: 'constant', fn: 'mul', value: [-1] },
      { kind: 'constant', fn: 'add', value: [1] },
      { kind: 'activation', fn: 'relu' },
      { kind: 'activation', fn: 'softmax' },
    ]);
  });

  it('Cast, Identity, Flatten and Reshape keep values; a float cast to integers truncates', () => {
    const p = parseOnnx(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['Y', 'Z'],
        initializers: [tensor('shape', 'int64', [3], [0, 3, 1])],
        nodes: [
          node('Reshape', ['X', 'shape'], ['r']),
          node('Flatten', ['r'], ['f'], { axis: attr.i(1) }),
          node('Identity', ['f'], ['Y']),
          node('Cast', ['X'], ['Z'], { to: attr.i(7) }),
        ],
      }),
    );
    // Y is X under a new name (an input, so its columns are copied); Z is X truncated.
    expect(p.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([
      [{ kind: 'activation', fn: 'trunc' }, ['X'], ['Z']],
      [{ kind: 'select', indices: [0, 1, 2] }, ['X'], ['Y']],
    ]);
  });

  it("ArgMax into ArrayFeatureExtractor over a label table: a classifier's label", () => {
    const p = parseOnnx(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['label'],
        initializers: [tensor('classes', 'int32', [3], [10, 20, 30]), tensor('shape', 'int64', [1], [-1])],
        nodes: [
          node('ArgMax', ['X'], ['i'], { axis: attr.i(1) }),
          node('ArrayFeatureExtractor', ['classes', 'i'], ['l']),
          node('Cast', ['l'], ['c'], { to: attr.i(7) }),
          node('Reshape', ['c', 'shape'], ['label']),
        ],
      }),
    );
    expect(ops(p)).toEqual([{ kind: 'classifier', labels: [10, 20, 30], binary: 'none' }]);
    expect(p.nodes[0].outputs[0]).toBe('label');
  });

  it('a LabelEncoder on a label renames the labels', () => {
    const p = parseOnnx(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['names'],
        ml: 2,
        nodes: [
          node('TreeEnsembleClassifier', ['X'], ['label', 'p'], binaryStump()),
          node('LabelEncoder', ['label'], ['names'], {
            keys_int64s: attr.ints([7]),
            values_strings: attr.strings(['seven']),
          }),
        ],
      }),
    );
    expect((p.nodes.at(-1)!.op as ClassifierOp).labels).toEqual(['_Unused', 'seven']);
  });
});

describe('refusals name what is wrong', () => {
  it('an unsupported operator, with its domain and the supported list', () => {
    refuses(
      single('CategoryMapper', {}),
      /operator 'CategoryMapper' \(domain 'ai\.onnx\.ml'\) is not supported/,
      /supported: .*TreeEnsembleClassifier/,
      /ai\.onnx: .*Gemm/,
    );
    refuses(single('Erf', {}), /operator 'Erf' \(domain 'ai\.onnx'\)/);
    expect(SUPPORTED_ONNX_OPERATORS).toMatch(/^ai\.onnx\.ml: .*ZipMap.*; ai\.onnx: .*Softmax/);
  });

  it('an unsupported attribute or one of the wrong type', () => {
    refuses(
      single('Scaler', { offset: attr.floats([0]), sparsity: attr.f(1) }),
      /attribute 'sparsity' is not supported; supported: offset, scale/,
    );
    refuses(
      single('Scaler', { offset: attr.ints([0]) }),
      /nodes\[0\] \(Scaler .*attribute 'offset' must be FLOATS, got INTS/,
    );
    refuses(single('Normalizer', { norm: attr.s('L3') }), /norm must be MAX, L1 or L2, got 'L3'/);
    // LabelEncoder's attributes follow the ai.onnx.ml version the model imports.
    refuses(
      single('LabelEncoder', { keys_floats: attr.floats([1]), values_int64s: attr.ints([2]) }),
      /attribute 'keys_floats' is not part of LabelEncoder in ai\.onnx\.ml 1/,
    );
    refuses(
      model({
        inputs: [['S', 'string', 1]],
        outputs: ['Y'],
        ml: 2,
        nodes: [node('LabelEncoder', ['S'], ['Y'], { classes_strings: attr.strings(['a']) })],
      }),
      /attribute 'classes_strings' is not part of LabelEncoder in ai\.onnx\.ml 2/,
    );
    refuses(
      single('Gemm', { transA: attr.i(1) }, ['Y'], {
        initializers: [tensor('B', 'float', [3, 1], [1, 2, 3])],
      }),
      /transA = 1/,
    );
  });

  it('what onnxruntime computes in ways the pipeline does not express', () => {
    const probit = binaryStump({ post_transform: attr.s('PROBIT') });
    refuses(single('TreeEnsembleClassifier', probit, classifierOutputs), /PROBIT on a single score column/);
    const bothClasses = stump(
      [
        [1, 0, 0.2],
        [1, 1, 0.8],
        [2, 0, 0.9],
        [2, 1, 0.1],
      ],
      twoLabels,
    );
    refuses(single('TreeEnsembleClassifier', bothClasses, classifierOutputs), /must weigh class 0 alone/);
    const twice = stump(
      [
        [1, 0, 0.2],
        [1, 0, 0.3],
        [2, 0, 0.9],
      ],
      { n_targets: attr.i(1) },
    );
    refuses(single('TreeEnsembleRegressor', twice), /leaf 1 of tree 0 has 2 weights for its one target/);
    const unscored = stump(
      [
        [1, 0, 0.2],
        [2, 0, 0.9],
        [2, 1, 0.5],
      ],
      { n_targets: attr.i(2), base_values: attr.floats([1, 1]) },
    );
    refuses(single('TreeEnsembleRegressor', unscored), /no tree weighs output 1 at every leaf/);
    refuses(
      single(
        'SVMClassifier',
        { coefficients: attr.floats([1, 2, 3]), rho: attr.floats([0]), classlabels_ints: attr.ints([0, 1]) },
        classifierOutputs,
      ),
      /liblinear form/,
    );
  });

  it('graphs that are not well formed', () => {
    refuses(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['Y'],
        nodes: [node('Relu', ['X', 'X'], ['Y'])],
      }),
      /takes 1 inputs, got 2/,
    );
    refuses(
      model({ inputs: [['X', 'float', 3]], outputs: ['Y'], nodes: [node('Relu', ['nowhere'], ['Y'])] }),
      /reads 'nowhere', which no graph input, initializer or node defines/,
    );
    refuses(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['Y'],
        nodes: [node('Relu', ['Z'], ['Y']), node('Sigmoid', ['Y'], ['Z'])],
      }),
      /is part of a cycle through '(Y|Z)'/,
    );
    refuses(
      model({
        inputs: [['X', 'float', 3]],
        outputs: ['Y'],
        nodes: [node('Relu', ['X'], ['Y']), node('Sigmoid', ['X'], ['Y'])],
      }),
      /writes 'Y', which is already defined/,
    );
    refuses(
      model({ inputs: [['X', 'float', 3]], outputs: ['Y'], nodes: [node('Relu', ['X'], ['Z'])] }),
      /output 'Y' is not defined by any node/,
    );
    const treeCycle = {
      ...stump([[2, 0, 1]], { n_targets: attr.i(1) }),
      nodes_modes: attr.strings(['BRANCH_LEQ', 'BRANCH_LEQ', 'LEAF']),
      nodes_truenodeids: attr.ints([1, 0, 0]),
      nodes_falsenodeids: attr.ints([2, 2, 0]),
    };
    refuses(single('TreeEnsembleRegressor', treeCycle), /tree 0 has a cycle through node 0/);
  });

  it('bytes that are not an ONNX model', () => {
    refuses(new Uint8Array(0), /empty/);
    refuses(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), /not a readable ONNX model/);
    const whole = single('Relu', {});
    refuses(whole.subarray(0, whole.length - 3), /not a readable ONNX model/);
    expect(() => parseOnnx('model.onnx' as unknown as Uint8Array)).toThrow(/as a Uint8Array, got string/);
  });
});

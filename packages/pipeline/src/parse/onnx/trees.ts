// ONNX-ML tree ensembles → trees (+ classifier head), with onnxruntime's aggregation rules:
// classifiers always sum; a regressor of one target keeps one weight per leaf and applies only
// PROBIT; a two-class classifier scoring class 0 alone is a single margin or probability.
import type { ClassifierOp, TreeEnsembleOp } from '../../ir/types.js';
import { binaryHead, classLabels, emitHead, postTransform, regressorPost } from './classifier.js';
import { mlOperator, type NodeContext, type OnnxOperator } from './context.js';
import { buildTrees, type ListedNodes, nodeKey, readNodes } from './tree-nodes.js';

interface Weight {
  id: number;
  value: number;
}

/** Leaf weights (`class_*` or `target_*`) grouped by listed leaf; weights on branches are ignored. */
function readWeights(
  ctx: NodeContext,
  prefix: 'class' | 'target',
  nodes: ListedNodes,
  outputs: number,
): Weight[][] {
  const a = ctx.attrs;
  const idsName = prefix === 'class' ? 'class_ids' : 'target_ids';
  const trees = a.ints(`${prefix}_treeids`) ?? [];
  const ids = a.ints(`${prefix}_nodeids`) ?? [];
  const which = a.ints(idsName) ?? [];
  const values = a.numbers(`${prefix}_weights`, `${prefix}_weights_as_tensor`) ?? [];
  if (trees.length !== ids.length || which.length !== ids.length || values.length !== ids.length)
    ctx.fail(
      `${prefix}_treeids, ${prefix}_nodeids, ${idsName} and ${prefix}_weights must have one entry per weight, got ${trees.length}, ${ids.length}, ${which.length} and ${values.length}`,
    );
  const byLeaf: Weight[][] = nodes.treeIds.map(() => []);
  ids.forEach((node, j) => {
    const listed = nodes.index.get(nodeKey(trees[j], node));
    if (listed === undefined)
      ctx.fail(`weight ${j} is for node ${node} of tree ${trees[j]}, which is not listed`);
    if (!(which[j] >= 0 && which[j] < outputs))
      ctx.fail(`weight ${j} is for ${prefix} ${which[j]}, outside 0..${outputs - 1}`);
    if (nodes.rules[listed]) return; // onnxruntime ignores weights on branches
    byLeaf[listed].push({ id: which[j], value: Math.fround(values[j]) });
  });
  byLeaf.forEach((w, i) => {
    if (!nodes.rules[i] && w.length === 0)
      ctx.fail(`leaf ${nodes.nodeIds[i]} of tree ${nodes.treeIds[i]} has no weight`);
  });
  return byLeaf;
}

/** Per output, the sum of a leaf's weights (float32, as onnxruntime accumulates). */
function sums(weights: Weight[], outputs: number): number[] {
  const out = new Array<number>(outputs).fill(0);
  for (const w of weights) out[w.id] = Math.fround(out[w.id] + w.value);
  return out;
}

/** base_values: none (zeros) or one per output. */
function baseValues(ctx: NodeContext, outputs: number): number[] {
  const base = ctx.attrs.numbers('base_values', 'base_values_as_tensor') ?? [];
  if (base.length !== 0 && base.length !== outputs)
    ctx.fail(`base_values has ${base.length} values; it needs none or ${outputs} (one per output)`);
  return base.length ? base.map(Math.fround) : new Array<number>(outputs).fill(0);
}

/**
 * onnxruntime reports a score only where some reached leaf has a weight for it. An output that a
 * tree weighs at every leaf always has one; for the others, refuse when it would matter.
 */
function requireScored(
  ctx: NodeContext,
  weights: Weight[][],
  leaves: number[][],
  outputs: number,
  why: string,
): void {
  for (let o = 0; o < outputs; o++) {
    const always = leaves.some((tree) => tree.every((leaf) => weights[leaf].some((w) => w.id === o)));
    if (!always) ctx.fail(`no tree weighs output ${o} at every leaf; ${why}`);
  }
}

function treeEnsembleRegressor(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const targets = ctx.attrs.int('n_targets') ?? ctx.fail("attribute 'n_targets' is required");
  if (targets < 1) ctx.fail(`n_targets must be at least 1, got ${targets}`);
  const aggregateName = ctx.attrs.string('aggregate_function') ?? 'SUM';
  const aggregates = { SUM: 'sum', AVERAGE: 'average', MIN: 'min', MAX: 'max' } as const;
  const aggregate =
    aggregates[aggregateName as keyof typeof aggregates] ??
    ctx.fail(`aggregate_function '${aggregateName}' is not one of SUM, AVERAGE, MIN, MAX`);
  const post = postTransform(ctx);
  const base = baseValues(ctx, targets);
  const nodes = readNodes(ctx);
  const weights = readWeights(ctx, 'target', nodes, targets);
  let leafValue: (listed: number) => number[];
  if (targets === 1) {
    // onnxruntime's single-target path keeps one weight per leaf.
    weights.forEach((w, i) => {
      if (w.length > 1)
        ctx.fail(
          `leaf ${nodes.nodeIds[i]} of tree ${nodes.treeIds[i]} has ${w.length} weights for its one target`,
        );
    });
    leafValue = (i) => [weights[i][0].value];
  } else if (aggregate === 'min' || aggregate === 'max') {
    const pick = aggregate === 'min' ? Math.min : Math.max;
    leafValue = (i) => {
      const out: number[] = [];
      for (let t = 0; t < targets; t++) {
        const own = weights[i].filter((w) => w.id === t).map((w) => w.value);
        if (own.length === 0)
          ctx.fail(
            `leaf ${nodes.nodeIds[i]} of tree ${nodes.treeIds[i]} has no weight for target ${t}; ${aggregateName} needs one`,
          );
        out.push(pick(...own));
      }
      return out;
    };
  } else {
    leafValue = (i) => sums(weights[i], targets);
  }
  const { trees, leaves } = buildTrees(ctx, nodes, targets, leafValue);
  if (targets > 1 && (aggregate === 'sum' || aggregate === 'average') && base.some((b) => b !== 0))
    requireScored(ctx, weights, leaves, targets, 'onnxruntime then reports 0 instead of its base value');
  const op: TreeEnsembleOp = {
    kind: 'trees',
    trees,
    outputs: targets,
    aggregate,
    base,
    post: regressorPost(post, targets),
  };
  ctx.emitRows(0, op, [x.ir], 'float', [targets]);
}

function treeEnsembleClassifier(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const labels = classLabels(ctx, 'classlabels_int64s');
  const classes = labels.length;
  const post = postTransform(ctx);
  const nodes = readNodes(ctx);
  const weights = readWeights(ctx, 'class', nodes, classes);
  const scored = new Set(weights.flat().map((w) => w.id));
  // onnxruntime judges the weights' signs over every listed weight, branches' included.
  const all = ctx.attrs.numbers('class_weights', 'class_weights_as_tensor') ?? [];
  const positive = all.every((w) => !(w < 0));
  let outputs: number;
  let base: number[];
  let head: ClassifierOp;
  if (classes === 2) {
    if (scored.size !== 1 || !scored.has(0))
      ctx.fail(
        'a two-class ensemble must weigh class 0 alone (one margin or probability); onnxruntime labels other layouts by literal 0/1',
      );
    const b = ctx.attrs.numbers('base_values', 'base_values_as_tensor') ?? [];
    if (b.length > 1)
      ctx.fail(
        `a two-class ensemble takes at most one base value, got ${b.length} (onnxruntime ignores the trees then)`,
      );
    outputs = 1;
    base = [Math.fround(b[0] ?? 0)];
    // Weights all ≥ 0 make a probability (label where it exceeds 0.5), else a margin (above 0).
    head = binaryHead(ctx, labels, post, positive ? 'complement' : 'negate', positive ? 0.5 : 0);
  } else {
    outputs = classes;
    base = baseValues(ctx, classes);
    head = { kind: 'classifier', labels, binary: 'none', post };
  }
  const { trees, leaves } = buildTrees(ctx, nodes, outputs, (i) => sums(weights[i], outputs));
  if (classes > 2 && !ctx.attrs.numbers('base_values', 'base_values_as_tensor')?.length)
    requireScored(
      ctx,
      weights,
      leaves,
      classes,
      'onnxruntime then leaves that class out of the label choice',
    );
  const scores = ctx.fresh('scores');
  ctx.emit(
    { kind: 'trees', trees, outputs, aggregate: 'sum', base, post: 'none' },
    [x.ir],
    [scores],
    'scores',
  );
  emitHead(ctx, head, [scores], classes);
}

const NODE_ATTRIBUTES = {
  nodes_treeids: 'INTS',
  nodes_nodeids: 'INTS',
  nodes_featureids: 'INTS',
  nodes_modes: 'STRINGS',
  nodes_values: 'FLOATS',
  nodes_values_as_tensor: 'TENSOR',
  nodes_truenodeids: 'INTS',
  nodes_falsenodeids: 'INTS',
  nodes_missing_value_tracks_true: 'INTS',
  nodes_hitrates: 'FLOATS',
  nodes_hitrates_as_tensor: 'TENSOR',
  base_values: 'FLOATS',
  base_values_as_tensor: 'TENSOR',
  post_transform: 'STRING',
} as const;

/** The ONNX-ML tree ensembles. */
export const TREE_OPERATORS: OnnxOperator[] = [
  mlOperator(
    'TreeEnsembleRegressor',
    {
      ...NODE_ATTRIBUTES,
      n_targets: 'INT',
      aggregate_function: 'STRING',
      target_treeids: 'INTS',
      target_nodeids: 'INTS',
      target_ids: 'INTS',
      target_weights: 'FLOATS',
      target_weights_as_tensor: 'TENSOR',
    },
    treeEnsembleRegressor,
  ),
  mlOperator(
    'TreeEnsembleClassifier',
    {
      ...NODE_ATTRIBUTES,
      class_treeids: 'INTS',
      class_nodeids: 'INTS',
      class_ids: 'INTS',
      class_weights: 'FLOATS',
      class_weights_as_tensor: 'TENSOR',
      classlabels_int64s: 'INTS',
      classlabels_strings: 'STRINGS',
    },
    treeEnsembleClassifier,
  ),
];

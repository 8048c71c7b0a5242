// ONNX-ML linear models: LinearRegressor → linear; LinearClassifier → linear + classifier head,
// with onnxruntime's conventions for a single score column and for post transforms.
import type { ClassifierOp } from '../../ir/types.js';
import { binaryHead, classLabels, emitHead, postTransform, regressorPost } from './classifier.js';
import { mlOperator, type NodeContext, type OnnxOperator } from './context.js';

/** Reads coefficients as [targets][features] rows. */
function coefficientRows(ctx: NodeContext, targets: number, features: number): number[][] {
  const c = ctx.attrs.floats('coefficients') ?? ctx.fail("attribute 'coefficients' is required");
  if (c.length !== targets * features)
    ctx.fail(
      `coefficients has ${c.length} values; ${targets} rows × ${features} input columns need ${targets * features}`,
    );
  return Array.from({ length: targets }, (_, t) => c.slice(t * features, (t + 1) * features));
}

function linearRegressor(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const targets = ctx.attrs.int('targets') ?? 1;
  if (!(targets >= 1)) ctx.fail(`targets must be at least 1, got ${targets}`);
  const weights = coefficientRows(ctx, targets, x.dims[0]);
  const intercepts = ctx.attrs.floats('intercepts') ?? [];
  if (intercepts.length !== 0 && intercepts.length !== targets)
    ctx.fail(`intercepts has ${intercepts.length} values for ${targets} targets`);
  const bias = intercepts.length ? intercepts : new Array<number>(targets).fill(0);
  const post = regressorPost(postTransform(ctx), targets);
  ctx.emitRows(0, { kind: 'linear', weights, bias, post }, [x.ir], 'float', [targets]);
}

function linearClassifier(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const labels = classLabels(ctx, 'classlabels_ints');
  // onnxruntime takes the number of score rows from the intercepts.
  const intercepts = ctx.attrs.floats('intercepts') ?? [];
  const targets = intercepts.length;
  if (targets === 0) ctx.fail('intercepts must give one value per score row');
  const weights = coefficientRows(ctx, targets, x.dims[0]);
  const post = postTransform(ctx);
  let head: ClassifierOp;
  if (targets === 1) {
    if (labels.length !== 2) ctx.fail(`one score row needs 2 class labels, got ${labels.length}`);
    head = binaryHead(ctx, labels, post, 'complement', 0);
  } else {
    if (labels.length !== targets) ctx.fail(`has ${labels.length} class labels for ${targets} score rows`);
    head = { kind: 'classifier', labels, binary: 'none', post };
  }
  const scores = ctx.fresh('scores');
  ctx.emit({ kind: 'linear', weights, bias: intercepts, post: 'none' }, [x.ir], [scores], 'scores');
  emitHead(ctx, head, [scores], targets === 1 ? 2 : targets);
}

/** The ONNX-ML linear models. */
export const LINEAR_OPERATORS: OnnxOperator[] = [
  mlOperator(
    'LinearRegressor',
    { coefficients: 'FLOATS', intercepts: 'FLOATS', targets: 'INT', post_transform: 'STRING' },
    linearRegressor,
  ),
  mlOperator(
    'LinearClassifier',
    {
      coefficients: 'FLOATS',
      intercepts: 'FLOATS',
      classlabels_ints: 'INTS',
      classlabels_strings: 'STRINGS',
      multi_class: 'INT',
      post_transform: 'STRING',
    },
    linearClassifier,
  ),
];

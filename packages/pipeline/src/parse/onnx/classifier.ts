// The classifier head shared by ONNX-ML's classifiers: their labels, post transforms, and how
// onnxruntime turns a single score column into two.
import type { ClassifierOp, PostTransform } from '../../ir/types.js';
import type { NodeContext } from './context.js';

const POST_TRANSFORMS: Record<string, PostTransform> = {
  NONE: 'none',
  LOGISTIC: 'logistic',
  SOFTMAX: 'softmax',
  SOFTMAX_ZERO: 'softmax_zero',
  PROBIT: 'probit',
};

/** The node's post_transform attribute. */
export function postTransform(ctx: NodeContext): PostTransform {
  const name = ctx.attrs.string('post_transform') ?? 'NONE';
  return (
    POST_TRANSFORMS[name] ??
    ctx.fail(`post_transform '${name}' is not one of ${Object.keys(POST_TRANSFORMS).join(', ')}`)
  );
}

/** The node's class labels: classlabels_strings or the integer list named `intsName`. */
export function classLabels(ctx: NodeContext, intsName: string): number[] | string[] {
  const strings = ctx.attrs.strings('classlabels_strings');
  const ints = ctx.attrs.ints(intsName);
  if (strings?.length && ints?.length) ctx.fail(`give classlabels_strings or ${intsName}, not both`);
  const labels = strings?.length ? strings : ints;
  if (!labels?.length) ctx.fail(`needs class labels (classlabels_strings or ${intsName})`);
  if (labels.length < 2) ctx.fail(`needs at least 2 class labels, got ${labels.length}`);
  return labels;
}

/** A regressor's link as onnxruntime applies it: to a single target, only PROBIT. */
export function regressorPost(post: PostTransform, targets: number): PostTransform {
  return targets === 1 && post !== 'probit' ? 'none' : post;
}

/**
 * The classifier head for one score column s of a two-class model, as onnxruntime expands it: with
 * LOGISTIC, [σ(−s), σ(s)]; with the others but PROBIT, `expansion`. The label is labels[1] where
 * s > threshold. (PROBIT writes one probit column and a 0, which no head here reproduces.)
 */
export function binaryHead(
  ctx: NodeContext,
  labels: number[] | string[],
  post: PostTransform,
  expansion: 'complement' | 'negate',
  threshold?: number,
): ClassifierOp {
  if (post === 'probit')
    ctx.fail('PROBIT on a single score column is not supported (onnxruntime writes [probit(s), 0])');
  const head: ClassifierOp =
    post === 'logistic'
      ? { kind: 'classifier', labels, binary: 'negate', post: 'logistic' }
      : { kind: 'classifier', labels, binary: expansion };
  if (threshold !== undefined) head.threshold = threshold;
  return head;
}

/** Adds the classifier head and binds the node's label and probabilities (`columns` wide) outputs. */
export function emitHead(ctx: NodeContext, head: ClassifierOp, scores: string[], columns: number): void {
  const label = ctx.outputName(0);
  const probabilities = ctx.outputName(1);
  ctx.emit(head, scores, [label, probabilities]);
  const labelKind = head.labels.every((l) => typeof l === 'string') ? 'string' : 'int';
  ctx.define(0, { tag: 'rows', ir: label, kind: labelKind, dims: [], head: { op: head, scores } });
  ctx.define(1, { tag: 'rows', ir: probabilities, kind: 'float', dims: [columns] });
}

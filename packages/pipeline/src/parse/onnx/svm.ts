// ONNX-ML support vector machines: SVMRegressor → svm (or linear without support vectors);
// SVMClassifier → svm (votes, pair decisions, Platt probabilities) + classifier head.
import type { SvmKernel, SvmOp } from '../../ir/types.js';
import { binaryHead, classLabels, emitHead, postTransform } from './classifier.js';
import { mlOperator, type NodeContext, type OnnxOperator } from './context.js';

const KERNELS: Record<string, SvmKernel> = { LINEAR: 'linear', POLY: 'poly', RBF: 'rbf', SIGMOID: 'sigmoid' };

/** The kernel and its parameters [gamma, coef0, degree]. */
function kernel(ctx: NodeContext): Pick<SvmOp, 'kernel' | 'gamma' | 'coef0' | 'degree'> {
  const name = ctx.attrs.string('kernel_type') ?? 'LINEAR';
  const kind =
    KERNELS[name] ?? ctx.fail(`kernel_type '${name}' is not one of ${Object.keys(KERNELS).join(', ')}`);
  // onnxruntime requires the attribute; it reads its first three values (zeros when it is empty).
  const params = ctx.attrs.floats('kernel_params') ?? ctx.fail("attribute 'kernel_params' is required");
  if (params.length > 0 && params.length < 3)
    ctx.fail(`kernel_params must be [gamma, coef0, degree], got ${params.length} values`);
  const [gamma, coef0, degree] = params.length ? params : [0, 0, 0];
  return { kernel: kind, gamma, coef0, degree };
}

/** `values` cut into `rows` rows of `width`. */
function rowsOf(ctx: NodeContext, name: string, values: number[], rows: number, width: number): number[][] {
  if (values.length !== rows * width)
    ctx.fail(`${name} has ${values.length} values; ${rows} × ${width} are needed`);
  return Array.from({ length: rows }, (_, r) => values.slice(r * width, (r + 1) * width));
}

function svmRegressor(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const features = x.dims[0];
  if ((ctx.attrs.int('one_class') ?? 0) !== 0) ctx.fail('one-class SVMs (one_class = 1) are not supported');
  postTransform(ctx); // checked, but onnxruntime's SVMRegressor applies none
  const k = kernel(ctx);
  const vectors = ctx.attrs.int('n_supports') ?? ctx.fail("attribute 'n_supports' is required");
  if (vectors < 0) ctx.fail(`n_supports must not be negative, got ${vectors}`);
  const coefficients = ctx.attrs.floats('coefficients') ?? ctx.fail("attribute 'coefficients' is required");
  const rho = ctx.attrs.floats('rho') ?? [];
  if (rho.length === 0) ctx.fail("attribute 'rho' is required");
  if (vectors === 0) {
    // Without support vectors onnxruntime scores x · coefficients + rho[0] (liblinear's form).
    const [weights] = rowsOf(ctx, 'coefficients', coefficients, 1, features);
    ctx.emitRows(
      0,
      { kind: 'linear', weights: [weights], bias: [rho[0]], post: 'none' },
      [x.ir],
      'float',
      [1],
    );
    return;
  }
  const supportVectors = rowsOf(
    ctx,
    'support_vectors',
    ctx.attrs.floats('support_vectors') ?? [],
    vectors,
    features,
  );
  const op: SvmOp = {
    kind: 'svm',
    ...k,
    supportVectors,
    coefficients: rowsOf(ctx, 'coefficients', coefficients, 1, vectors),
    rho: [rho[0]],
    post: 'none',
  };
  ctx.emitRows(0, op, [x.ir], 'float', [1]);
}

function svmClassifier(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const labels = classLabels(ctx, 'classlabels_ints');
  const classes = labels.length;
  const post = postTransform(ctx);
  const perClass = ctx.attrs.ints('vectors_per_class') ?? [];
  if (perClass.length === 0)
    ctx.fail(
      'SVMClassifier without support vectors (vectors_per_class empty: the liblinear form) is not supported',
    );
  if (perClass.length !== classes)
    ctx.fail(`vectors_per_class has ${perClass.length} entries for ${classes} classes`);
  if (perClass.some((v) => v < 0)) ctx.fail('vectors_per_class must not be negative');
  const vectors = perClass.reduce((a, b) => a + b, 0);
  const pairs = (classes * (classes - 1)) / 2;
  const rho = ctx.attrs.floats('rho') ?? [];
  if (rho.length !== pairs) ctx.fail(`rho has ${rho.length} values; ${classes} classes make ${pairs} pairs`);
  const op: SvmOp = {
    kind: 'svm',
    ...kernel(ctx),
    supportVectors: rowsOf(
      ctx,
      'support_vectors',
      ctx.attrs.floats('support_vectors') ?? [],
      vectors,
      x.dims[0],
    ),
    coefficients: rowsOf(ctx, 'coefficients', ctx.attrs.floats('coefficients') ?? [], classes - 1, vectors),
    rho,
    vectorsPerClass: perClass,
    post: 'none',
  };
  const a = ctx.attrs.floats('prob_a') ?? [];
  const b = ctx.attrs.floats('prob_b') ?? [];
  if (a.length !== b.length) ctx.fail(`prob_a has ${a.length} values and prob_b ${b.length}`);
  if (a.length > 0) {
    if (a.length !== pairs)
      ctx.fail(`prob_a and prob_b need one value per pair of classes (${pairs}), got ${a.length}`);
    op.platt = { a, b };
  }
  const votes = ctx.fresh('votes');
  const decisions = ctx.fresh('decisions');
  const outputs = [votes, decisions];
  if (op.platt) outputs.push(ctx.fresh('probabilities'));
  ctx.emit(op, [x.ir], outputs, 'svm');
  // The label follows the votes; the probabilities output reports Platt's probabilities when the
  // model has them, else the pair decisions ([−d, d] or [1 − d, d] for two classes).
  const reported = outputs[outputs.length - 1];
  if (op.platt)
    emitHead(ctx, { kind: 'classifier', labels, binary: 'none', post }, [votes, reported], classes);
  else if (classes > 2)
    emitHead(ctx, { kind: 'classifier', labels, binary: 'none', post }, [votes, reported], pairs);
  else
    emitHead(
      ctx,
      binaryHead(ctx, labels, post, post === 'none' ? 'negate' : 'complement'),
      [votes, reported],
      2,
    );
}

const KERNEL_ATTRIBUTES = {
  kernel_type: 'STRING',
  kernel_params: 'FLOATS',
  support_vectors: 'FLOATS',
  coefficients: 'FLOATS',
  rho: 'FLOATS',
  post_transform: 'STRING',
} as const;

/** The ONNX-ML support vector machines. */
export const SVM_OPERATORS: OnnxOperator[] = [
  mlOperator('SVMRegressor', { ...KERNEL_ATTRIBUTES, n_supports: 'INT', one_class: 'INT' }, svmRegressor),
  mlOperator(
    'SVMClassifier',
    {
      ...KERNEL_ATTRIBUTES,
      vectors_per_class: 'INTS',
      prob_a: 'FLOATS',
      prob_b: 'FLOATS',
      classlabels_ints: 'INTS',
      classlabels_strings: 'STRINGS',
    },
    svmClassifier,
  ),
];

/**
 * The typed intermediate pipeline every input format is parsed into and every backend program is
 * compiled from: named values flowing through a list of operators in topological order (a DAG, so a
 * column transformer's branches and their concatenation fit, as ONNX graphs do). Parameters keep the
 * source's own precision (thresholds and coefficients as float64); the compiler decides how to
 * evaluate them exactly in float32.
 */

/** Element kinds of a value. Strings only enter through categorical encoders and leave as labels. */
export type ElementKind = 'float' | 'int' | 'string';

/** A value flowing between operators: a [rows, columns] matrix (rows unknown until scoring). */
export interface ValueInfo {
  name: string;
  kind: ElementKind;
  /** Columns per row. */
  columns: number;
  /**
   * The source's names of the columns (scikit-learn's `feature_names_in_`, XGBoost's
   * `feature_names`), when it has them: row objects, Arrow tables and CSV headers match on them.
   */
  columnNames?: string[];
  /**
   * Per column, whether the source runtime refuses NaN there (scikit-learn raises "Input contains
   * NaN" where a missing value would reach an estimator that does not handle it); predict refuses
   * such rows too. Absent: NaN is accepted everywhere (a missing value).
   */
  refusesNaN?: boolean[];
}

/** One operator of the pipeline: reads `inputs` (value names), writes `outputs`. */
export interface Node<O extends Operator = Operator> {
  /** Unique within the pipeline; the source's node name where it has one. */
  name: string;
  inputs: string[];
  outputs: string[];
  op: O;
}

/** Where a pipeline came from, for error messages and the decision rules the source implies. */
export type SourceFormat = 'onnx' | 'sklearn' | 'xgboost' | 'mljs';

export interface Pipeline {
  source: SourceFormat;
  /** The values a caller provides, in order (ONNX graph inputs; one `input` matrix elsewhere). */
  inputs: ValueInfo[];
  /** The values a caller gets, in order (e.g. `label` and `probabilities`, or `variable`). */
  outputs: string[];
  /** Topologically ordered: every input of a node is a pipeline input or an earlier node's output. */
  nodes: Node[];
}

/**
 * How a link turns summed scores into outputs (ONNX-ML's `post_transform`), as onnxruntime computes
 * them in float32: 'logistic' 1 / (1 + e^−|s|), mirrored for s < 0; 'softmax' over the row, max
 * subtracted; 'softmax_zero' the same over the scores with |s| > 1e-7 only, the others become
 * s · e^−max (≈ 0); 'probit' √2 · erfinv(2s − 1) with erfinv by Winitzki's approximation (a = 0.147),
 * as onnxruntime's ErfInv does (up to 0.2 % from the exact inverse); 'exp' e^s, the inverse of a log
 * link (XGBoost's count:poisson, reg:gamma and reg:tweedie objectives).
 */
export type PostTransform = 'none' | 'logistic' | 'softmax' | 'softmax_zero' | 'probit' | 'exp';

/** y = (x − offset) · scale, per column (ONNX `Scaler`; scikit-learn's StandardScaler, MinMaxScaler). */
export interface ScalerOp {
  kind: 'scaler';
  offset: number[];
  scale: number[];
}

/**
 * Rows divided by their L1, L2 or max norm (max |x|, scikit-learn's), or by their largest value
 * ('largest': onnxruntime's `Normalizer` MAX, which takes the signed maximum). A row whose divisor is
 * 0 is left unchanged.
 */
export interface NormalizerOp {
  kind: 'normalizer';
  norm: 'l1' | 'l2' | 'max' | 'largest';
}

/** Entries equal to `missing` (NaN by default) replaced by their column's `fill` (ONNX `Imputer`). */
export interface ImputerOp {
  kind: 'imputer';
  /** The value that marks a missing entry; NaN matches NaN. */
  missing: number;
  fill: number[];
}

/** 1 where x > threshold, else 0 (ONNX `Binarizer`). */
export interface BinarizerOp {
  kind: 'binarizer';
  threshold: number;
}

/**
 * One-hot encoding of each input column against its categories, the columns' codes concatenated
 * (ONNX `OneHotEncoder` over one column, scikit-learn's OneHotEncoder over several). A value that is
 * not a category gives all zeros when `unknown` is 'zeros', and is refused when 'error'.
 */
export interface OneHotOp {
  kind: 'oneHot';
  categories: (number[] | string[])[];
  unknown: 'zeros' | 'error';
}

/** Maps keys to values one to one (ONNX `LabelEncoder`); `fallback` for keys not listed. A NaN key matches NaN. */
export interface LabelEncoderOp {
  kind: 'labelEncoder';
  keys: number[] | string[];
  values: number[] | string[];
  fallback: number | string;
}

/** The columns at `indices`, in that order (ONNX `ArrayFeatureExtractor`; a column selector). */
export interface SelectOp {
  kind: 'select';
  indices: number[];
}

/** Inputs side by side, columns in input order (ONNX `Concat` on axis 1, `FeatureVectorizer`). */
export interface ConcatOp {
  kind: 'concat';
}

/**
 * y = x · Wᵀ + b, then `post` (ONNX `LinearRegressor`/`LinearClassifier`, `Gemm`, `MatMul` + `Add`;
 * scikit-learn's linear models and PCA). `weights` is [outputs][inputs].
 */
export interface LinearOp {
  kind: 'linear';
  weights: number[][];
  bias: number[];
  post: PostTransform;
}

/**
 * An elementwise activation or a row softmax (ONNX `Relu`, `Sigmoid`, `Tanh`, `Softmax` on axis 1);
 * 'trunc' rounds toward zero (a cast of floats to integers, ONNX `Cast` to int64).
 */
export interface ActivationOp {
  kind: 'activation';
  fn: 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'identity' | 'trunc';
}

/** x ∘ c with a constant broadcast along rows (ONNX `Add`/`Sub`/`Mul` with an initializer). */
export interface ConstantOp {
  kind: 'constant';
  fn: 'add' | 'sub' | 'mul' | 'div';
  /** One value per column, or one value for all. */
  value: number[];
}

/** SVM kernels as ONNX-ML names them. */
export type SvmKernel = 'linear' | 'rbf' | 'poly' | 'sigmoid';

/**
 * A kernel machine (ONNX `SVMRegressor`/`SVMClassifier`): scores = Σ_j coef · K(x, sv_j) + rho, with
 * K(x, v) = x·v (linear), (γ x·v + coef0)^degree (poly), e^(−γ |x − v|²) (rbf), tanh(γ x·v + coef0)
 * (sigmoid). Regressors give one column (`rho` holds one value). Classifiers (`vectorsPerClass`
 * given: the support vectors of each class, in class order) are libsvm's one-vs-one machines:
 * `coefficients` is [classes − 1][vectors] (libsvm's dual coefficients) and the pair (i, j), i < j,
 * decides d = Σ_{v of i} coef[j − 1][v] K + Σ_{v of j} coef[i][v] K + rho[pair]. They give up to
 * three values, in this order: the votes per class (k columns; the pair votes for i where d > 0,
 * else for j), the decision values (one column per pair, pairs in the order (0,1), (0,2), …,
 * (k−2, k−1)) and, with `platt`, the class probabilities (k columns).
 */
export interface SvmOp {
  kind: 'svm';
  kernel: SvmKernel;
  gamma: number;
  coef0: number;
  degree: number;
  supportVectors: number[][];
  coefficients: number[][];
  rho: number[];
  /** Classifiers: support vectors of each class, in class order; absent for regressors. */
  vectorsPerClass?: number[];
  /**
   * Classifiers: Platt scaling, one (a, b) per pair. As libsvm and onnxruntime compute it, pair
   * (i, j) has p = 1 − logistic(a·d + b), clipped to [1e-7, 1 − 1e-7], and the class probabilities
   * couple the pairs' p by libsvm's iterative method (at most 100 rounds, stopping when every
   * component is within 0.005 / k).
   */
  platt?: { a: number[]; b: number[] };
  post: PostTransform;
}

/** The comparison an inner node makes; the branch is the TRUE child when it holds. */
export type SplitRule = 'leq' | 'lt' | 'gte' | 'gt' | 'eq' | 'neq';

/**
 * One decision tree as flat node arrays (node 0 is the root). An inner node tests
 * `x[feature] <rule> threshold` and goes to `trueChild` when it holds, else `falseChild`; a NaN
 * feature goes to `trueChild` where `missingTrue` is 1. Leaves have feature −1 and children −1.
 */
export interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  rule: SplitRule[];
  trueChild: Int32Array;
  falseChild: Int32Array;
  missingTrue: Uint8Array;
  /** Leaf values, [nodes × outputs] row-major (0 at inner nodes). */
  leafValues: Float64Array;
}

/**
 * A tree ensemble (ONNX `TreeEnsembleRegressor`/`TreeEnsembleClassifier`, scikit-learn trees and
 * forests, gradient boosting, XGBoost, ml.js CART and random forests): each output is
 * `aggregate` over the trees of their leaf values, plus `base`, then `post`.
 */
export interface TreeEnsembleOp {
  kind: 'trees';
  trees: Tree[];
  /** Scores per row: classes (or one for a binary margin) or regression targets. */
  outputs: number;
  aggregate: 'sum' | 'average' | 'min' | 'max';
  base: number[];
  post: PostTransform;
}

/**
 * Scores → a label per row and the class probabilities (the classifier head of ONNX-ML and of every
 * other source): `labels[argmax]` of the first input's scores (the first of equal maxima). A
 * second input, when given, is what the probabilities output reports instead of the first (an SVM
 * votes for its label but reports decision values or probabilities); `binary` and `post` apply to
 * it. With a single score column (a binary margin or probability), `binary` says how it becomes two
 * columns: 'complement' gives [1 − s, s] (scikit-learn's predict_proba), 'negate' [−s, s]
 * (onnxruntime's binary margins); 'none' keeps one column.
 */
export interface ClassifierOp {
  kind: 'classifier';
  labels: number[] | string[];
  binary: 'complement' | 'negate' | 'none';
  /**
   * A single label score column gives labels[1] where the score is above this, else labels[0].
   * Default: where the two columns of `binary` are equal (0 for 'negate', else 0.5).
   */
  threshold?: number;
  /**
   * Applied to the probabilities output after `binary` (default 'none'); the label is chosen from
   * the scores before it, as onnxruntime does.
   */
  post?: PostTransform;
}

/** Every operator of the intermediate pipeline. */
export type Operator =
  | ScalerOp
  | NormalizerOp
  | ImputerOp
  | BinarizerOp
  | OneHotOp
  | LabelEncoderOp
  | SelectOp
  | ConcatOp
  | LinearOp
  | ActivationOp
  | ConstantOp
  | SvmOp
  | TreeEnsembleOp
  | ClassifierOp;

/** The operator kinds, for exhaustive tables over them. */
export type OperatorKind = Operator['kind'];

/** The operator of `kind`. */
export type OperatorOf<K extends OperatorKind> = Extract<Operator, { kind: K }>;

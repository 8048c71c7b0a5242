import type { DType } from './dtype.js';
import type { Exp } from './ir/exp.js';
import type { ReduceGroup } from './opgroups.js';

/** Unary elementwise ops (one kernel each, same shape and dtype out). */
export const UNARY_OPS = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'silu',
  'erf',
  'log1p',
  'expm1',
  'log2',
  'tan',
  'asin',
  'acos',
  'atan',
  'floor',
  'ceil',
  'round',
  'trunc',
  'reciprocal',
  'softplus',
] as const;
/** Tests of each element (any dtype in, `u8` out): not differentiable. */
export const PREDICATE_OPS = ['isnan', 'isinf', 'isfinite', 'logical_not'] as const;
/** Logical ops with broadcasting: nonzero is true; they return `u8`. */
export const LOGICAL_OPS = ['logical_and', 'logical_or', 'logical_xor'] as const;
/** Binary elementwise ops with NumPy broadcasting. */
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'fmod',
  'remainder',
] as const;
/** Comparisons with broadcasting; they return `u8` (0 or 1). */
export const COMPARE_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
/** Reductions over a list of axes. */
export const REDUCE_OPS = ['sum', 'max', 'min'] as const;
/** Index-of-extremum reductions over one axis; they return `i32`. */
export const ARG_REDUCE_OPS = ['argmax', 'argmin'] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type PredicateOp = (typeof PREDICATE_OPS)[number];
export type LogicalOp = (typeof LOGICAL_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];

type Each<U extends string, P> = { [K in U]: P };

/**
 * Parameters of the ops defined by an expression (see `rules/elementwise.ts`): each backend renders
 * the expression, and chains of them fuse into one kernel. Adding one is a rule, not a kernel.
 */
export interface MapParams
  extends Each<UnaryOp, {}>,
    Each<BinaryOp, {}>,
    Each<CompareOp, {}>,
    Each<PredicateOp, {}>,
    Each<LogicalOp, {}> {
  /** x for x > 0, slope·x otherwise. */
  leaky_relu: { slope: number };
  /** x for x > 0, alpha·(eˣ − 1) otherwise. */
  elu: { alpha: number };
  full: { shape: number[]; dtype: DType; value: number };
  arange: { shape: number[]; dtype: DType; start: number; step: number };
  /** Uniform [0, 1) from a counter-based hash of (seed, offset + i): the same numbers on every backend. */
  rand: { shape: number[]; dtype: DType; seed: number; offset: number };
  /** Standard normal by Box–Muller over the same hash. */
  randn: { shape: number[]; dtype: DType; seed: number; offset: number };
  cast: { dtype: DType };
  where: {};
  /** A copy in row-major order (as an expression, a copy fuses into whatever reads it). */
  contiguous: {};
}

/**
 * Parameters of every op a backend computes with a kernel of its own. Adding a key here without a
 * kernel on each backend and a rule in `rules/` is a compile error.
 */
export interface KernelParams
  extends Each<ReduceOp, { axes: number[] }>,
    Each<ArgReduceOp, { axis: number }> {
  cumsum: { axis: number };
  softmax: { axis: number };
  log_softmax: { axis: number };
  /** Normalizes over the last axis: (x - mean) / sqrt(var + eps). */
  layer_norm: { eps: number };
  /** Normalizes over the last axis: x / sqrt(mean(x²) + eps). */
  rms_norm: { eps: number };
  matmul: {};
  concat: { axis: number };
  pad: { before: number[]; after: number[]; value: number };
  /** Places the input at `starts + i * steps` of a zero tensor of the output shape (the adjoint of slice). */
  unslice: { starts: number[]; steps: number[]; shape: number[] };
  gather: { axis: number };
  scatter_add: { axis: number };
  index_select: { axis: number };
  index_add: { axis: number };
  one_hot: { classes: number };
  argsort: { axis: number; descending: boolean };
  /** Positions (i32) of the `k` largest (or smallest) along `axis`, best first; NaN largest, ties by position. */
  topk: { axis: number; k: number; largest: boolean };
  /**
   * Fused scaled-dot-product attention over q [B, H, Sq, D], k [B, Hkv, Sk, D], v [B, Hkv, Sk, Dv]
   * (H a multiple of Hkv: grouped-query), and, when `padded`, a key padding mask [B, Sk] (u8, 1 =
   * ignore). Query i sits at position `qOffset + i`; `causal` hides later keys, `window` > 0 keeps only
   * the last `window` positions. When `segmented`, a last input [B, Sk] (i32 document ids) hides the
   * keys whose id differs from the id at the query's own position (so `qOffset + Sq <= Sk`). Rows with
   * no visible key give zeros.
   */
  attention: {
    scale: number;
    causal: boolean;
    window: number;
    qOffset: number;
    padded: boolean;
    segmented: boolean;
  };
}

/** Parameters of the ops that only re-describe memory (no kernel, no copy). */
export interface ViewParams {
  reshape: { shape: number[] };
  permute: { dims: number[] };
  expand: { shape: number[] };
  slice: { starts: number[]; steps: number[]; shape: number[] };
}

export type MapOp = keyof MapParams;
export type KernelOp = keyof KernelParams;
export type ViewOp = keyof ViewParams;
export type OpName = MapOp | KernelOp | ViewOp;
export type OpParams = MapParams & KernelParams & ViewParams;

/** A strided window onto a backend buffer: what kernels read. */
export interface View<H = unknown> {
  readonly handle: H;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

/** What a kernel must produce: a new contiguous buffer of this shape and dtype. */
export interface OutSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * An input computed where it is read: element i is `exp` over `sources` (views over `shape`, input
 * slot j from `sources[j]`) with param slot k holding `params[k]`. Elementwise ops fuse this way
 * into the reductions and row ops that read them, as a prologue.
 */
export interface FusedInput<H = unknown> {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly exp: Exp;
  readonly sources: readonly View<H>[];
  readonly params: readonly number[];
}

/** Ops whose first input may come as a {@link FusedInput}: reductions and row ops. */
export type PrologueOp = ReduceGroup;

/** What a kernel reads: views, or for {@link PrologueOp}s a first input that may be fused. */
export type KernelInputs<H, K extends KernelOp> = K extends PrologueOp
  ? (View<H> | FusedInput<H>)[]
  : View<H>[];

/** A backend's implementation of one op. */
export type KernelFn<H, K extends KernelOp> = (
  out: OutSpec,
  inputs: KernelInputs<H, K>,
  params: KernelParams[K],
) => H;

/** Every kernel of a backend; a missing one is a compile error. */
export type KernelTable<H> = { [K in KernelOp]: KernelFn<H, K> };

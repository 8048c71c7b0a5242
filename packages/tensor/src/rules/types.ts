import type { DType } from '../dtype.js';
import type { Exp } from '../ir/exp.js';
import type { KernelOp, MapOp, OpName, OpParams, OutSpec, ViewOp } from '../opset.js';
import type { GradCtxOf, Tensor } from '../tensor.js';

/** What a backward rule sees of the forward call. */
export type GradCtx<K extends OpName> = GradCtxOf<OpParams[K]>;

/** Gradient of the loss with respect to each input (`null` for inputs without one), given `g`, the gradient of the output. */
export type Backward<K extends OpName> = (g: Tensor, ctx: GradCtx<K>) => (Tensor | null)[];

/** Marks an op whose output has no gradient (comparisons, indices, random numbers), with why. */
export interface NonDifferentiable {
  readonly nondifferentiable: string;
}

interface BaseRule<K extends OpName> {
  /** Validates the inputs (throwing errors that name the argument, expected and actual) and gives the output's shape and dtype. */
  infer(inputs: readonly Tensor[], params: OpParams[K]): OutSpec;
  /** Forward and backward are declared together: the backward rule, or why there is none. */
  grad: Backward<K> | NonDifferentiable;
}

/** Makes a run-time parameter leaf holding `value` (a scalar that does not change the kernel's source). */
export type ParamFn = (value: number, dtype: DType) => Exp;

/** An op defined by an expression over its inputs' elements, which every backend renders. */
export interface MapRule<K extends MapOp> extends BaseRule<K> {
  /**
   * The output element as an expression of the input elements `x` (of the inputs' dtypes), of
   * the dtype `infer` gives. Run-time scalars come from `param`.
   */
  exp(x: readonly Exp[], params: OpParams[K], param: ParamFn): Exp;
}

/** An op computed by a backend kernel. */
export type KernelRule<K extends KernelOp> = BaseRule<K>;

/** An op that only re-describes the input's memory. */
export interface ViewRule<K extends ViewOp> extends BaseRule<K> {
  view(x: Tensor, params: OpParams[K]): { strides: number[]; offset: number };
}

/** The rule of every op; a missing one is a compile error. */
export type RuleTable = { [K in MapOp]: MapRule<K> } & { [K in KernelOp]: KernelRule<K> } & {
  [K in ViewOp]: ViewRule<K>;
};

/** A table of rules for a group of expression ops. */
export type MapRules<U extends MapOp> = { [K in U]: MapRule<K> };

/** A table of rules for a group of kernel ops. */
export type KernelRules<U extends KernelOp> = { [K in U]: KernelRule<K> };

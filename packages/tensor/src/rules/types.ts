import type { KernelOp, OpName, OpParams, OutSpec, ViewOp } from '../opset.js';
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

/** An op computed by a backend kernel. */
export type KernelRule<K extends KernelOp> = BaseRule<K>;

/** An op that only re-describes the input's memory. */
export interface ViewRule<K extends ViewOp> extends BaseRule<K> {
  view(x: Tensor, params: OpParams[K]): { strides: number[]; offset: number };
}

/** The rule of every op; a missing one is a compile error. */
export type RuleTable = { [K in KernelOp]: KernelRule<K> } & { [K in ViewOp]: ViewRule<K> };

/** A table of rules for a group of kernel ops. */
export type KernelRules<U extends KernelOp> = { [K in U]: KernelRule<K> };

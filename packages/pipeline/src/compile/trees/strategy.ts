import type * as T from '@tessera/tensor';

/** The tree-compilation strategies of Hummingbird, selectable per ensemble. */
export type TreeStrategyName = 'gemm' | 'tree_traversal' | 'perfect_tree_traversal';

/** A compiled tree ensemble: each tree's output for every row. Owns its constant tensors. */
export interface TreeStrategy {
  readonly name: TreeStrategyName;
  /** x [rows, features] f32 → [rows, trees, outputs]: every tree's leaf values for every row. */
  perTree(x: T.Tensor): T.Tensor;
  dispose(): void;
}

/**
 * Hummingbird's default choice by the ensemble's maximum depth: GEMM for shallow trees (<= 3), the
 * perfect-tree traversal up to depth 10 (its padded trees have 2^depth leaves), the plain traversal
 * beyond.
 */
export const chooseStrategy = (depth: number): TreeStrategyName =>
  depth <= 3 ? 'gemm' : depth <= 10 ? 'perfect_tree_traversal' : 'tree_traversal';

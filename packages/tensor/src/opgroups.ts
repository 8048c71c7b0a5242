import type { ArgReduceOp, ReduceOp } from './opset.js';

/** Ops of the reduction and row-wise group (the reduce.ts files). */
export type ReduceGroup =
  | ReduceOp
  | ArgReduceOp
  | 'cumsum'
  | 'softmax'
  | 'log_softmax'
  | 'layer_norm'
  | 'rms_norm';
/** Ops of the matmul group (the matmul.ts files). */
export type MatmulGroup = 'matmul';
/** Ops of the indexing and sorting group (the indexing.ts files). */
export type IndexingGroup = 'gather' | 'scatter_add' | 'index_select' | 'index_add' | 'one_hot' | 'argsort';
/** Ops of the fused attention group (the attention.ts files). */
export type AttentionGroup = 'attention';

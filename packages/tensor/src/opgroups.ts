import { ARG_REDUCE_OPS, REDUCE_OPS } from './opset.js';

/** Ops of the reduction and row-wise group (the reduce.ts files). */
export const REDUCE_GROUP = [
  ...REDUCE_OPS,
  ...ARG_REDUCE_OPS,
  'cumsum',
  'softmax',
  'log_softmax',
  'layer_norm',
  'rms_norm',
] as const;
export type ReduceGroup = (typeof REDUCE_GROUP)[number];
/** Ops of the matmul group (the matmul.ts files). */
export type MatmulGroup = 'matmul';
/** Ops of the indexing and sorting group (the indexing.ts files). */
export type IndexingGroup = 'gather' | 'scatter_add' | 'index_select' | 'index_add' | 'one_hot' | 'argsort';
/** Ops selected without a full sort (the topk.ts files). */
export type SelectionGroup = 'topk';
/** Ops of the fused attention group (the attention.ts files). */
export type AttentionGroup = 'attention';

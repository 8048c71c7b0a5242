import * as T from '@tessera/tensor';
import { constants } from '../ops/rule.js';
import type { CanonicalTree } from './canonical.js';
import type { TreeStrategy } from './strategy.js';
import { packNodes, traverseOp } from './traverse-op.js';

/**
 * Hummingbird's TreeTraversal strategy: every (row, tree) keeps the index of its current node and
 * steps one level at a time, reading the node's feature, threshold and children, as many steps as the
 * deepest tree; leaves stop the walk. All trees' nodes sit in one array. Here the walk is fused into
 * one kernel (kernels/pipeline/traverse.wgsl, and its CPU twin) where Hummingbird issues a few
 * gathers per level; then one gather of the leaves' values. Memory grows with the nodes only, so it
 * suits deep trees.
 */
export function traversalStrategy(
  trees: CanonicalTree[],
  outputs: number,
  depth: number,
  backend: T.Backend,
): TreeStrategy {
  const { nodes, roots } = packNodes(trees);
  const total = nodes.length / 4;
  const values = new Float32Array(total * outputs);
  let o = 0;
  for (const t of trees) {
    values.set(Float32Array.from(t.leafValues), o * outputs);
    o += t.feature.length;
  }
  const opts = { backend };
  const tensors = {
    nodes: T.tensor(nodes, { ...opts, shape: [total, 4] }),
    roots: T.tensor(roots, opts),
    values: T.tensor(values, { ...opts, shape: [total, outputs] }),
  };
  constants(...Object.values(tensors));
  const n = trees.length;
  return {
    name: 'tree_traversal',
    perTree(x: T.Tensor): T.Tensor {
      const rows = x.shape[0];
      const leaf = traverseOp([T.contiguous(x), tensors.nodes, tensors.roots], { depth });
      const index = T.cast(T.reshape(leaf, [rows * n]), 'i32');
      return T.reshape(T.indexSelect(tensors.values, 0, index), [rows, n, outputs]);
    },
    dispose: () => {
      for (const t of Object.values(tensors)) t.dispose();
    },
  };
}

import * as T from '@tessera/tensor';
import { constants } from '../ops/rule.js';
import type { CanonicalTree } from './canonical.js';
import type { Aggregate, TreeStrategy } from './strategy.js';
import { packNodes, traverseOp } from './traverse-op.js';

/**
 * Hummingbird's TreeTraversal strategy: every (row, tree) keeps the index of its current node and
 * steps one level at a time, reading the node's feature, threshold and children, as many steps as the
 * deepest tree; leaves stop the walk. All trees' nodes sit in one array. Here the walks and the
 * combination of the leaves' values are fused into one kernel (kernels/pipeline/traverse.wgsl, and
 * its CPU twin) where Hummingbird issues a few gathers per level, then gathers and reduces. Memory
 * grows with the nodes only, so it suits deep trees.
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
    run(x: T.Tensor, aggregate: Aggregate): T.Tensor {
      const combine = aggregate === 'average' ? 'sum' : aggregate;
      const out = traverseOp([T.contiguous(x), tensors.nodes, tensors.roots, tensors.values], {
        depth,
        combine,
      });
      return aggregate === 'average' ? T.div(out, n) : out;
    },
    dispose: () => {
      for (const t of Object.values(tensors)) t.dispose();
    },
  };
}

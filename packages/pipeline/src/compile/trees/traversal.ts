import * as T from '@tessera/tensor';
import { constants } from '../ops/rule.js';
import type { CanonicalOp, CanonicalTree } from './canonical.js';
import { type NodeParams, nodeTest } from './node-test.js';
import type { TreeStrategy } from './strategy.js';

/**
 * Hummingbird's TreeTraversal strategy: every (row, tree) keeps the index of its current node and
 * steps one level per iteration, reading the node's feature, threshold and children with gathers,
 * as many iterations as the deepest tree. All trees' nodes sit in one array (each tree's offset
 * added to its child indices); leaves point to themselves, so a shallower tree waits at its leaf.
 * Memory grows with the nodes only, so it suits deep trees.
 */
export function traversalStrategy(
  trees: CanonicalTree[],
  outputs: number,
  depth: number,
  uniformOp: CanonicalOp | null,
  backend: T.Backend,
): TreeStrategy {
  const offsets = trees.map((_, k) => trees.slice(0, k).reduce((s, t) => s + t.feature.length, 0));
  const total = offsets.at(-1)! + trees.at(-1)!.feature.length;
  const feature = new Int32Array(total);
  const tau = new Float32Array(total);
  const op = new Uint8Array(total);
  const missing = new Uint8Array(total);
  const trueChild = new Int32Array(total);
  const falseChild = new Int32Array(total);
  const values = new Float32Array(total * outputs);
  trees.forEach((t, k) => {
    const o = offsets[k];
    for (let v = 0; v < t.feature.length; v++) {
      const leaf = t.feature[v] < 0;
      feature[o + v] = leaf ? 0 : t.feature[v];
      tau[o + v] = t.tau[v];
      op[o + v] = t.op[v];
      missing[o + v] = t.missingTrue[v];
      trueChild[o + v] = leaf ? o + v : o + t.trueChild[v];
      falseChild[o + v] = leaf ? o + v : o + t.falseChild[v];
      for (let j = 0; j < outputs; j++) values[(o + v) * outputs + j] = t.leafValues[v * outputs + j];
    }
  });
  const opts = { backend };
  const tensors = {
    feature: T.tensor(feature, opts),
    tau: T.tensor(tau, opts),
    op: T.tensor(op, opts),
    missing: T.tensor(missing, opts),
    trueChild: T.tensor(trueChild, opts),
    falseChild: T.tensor(falseChild, opts),
    values: T.tensor(values, { ...opts, shape: [total, outputs] }),
    roots: T.tensor(Int32Array.from(offsets), { ...opts, shape: [1, trees.length] }),
  };
  constants(...Object.values(tensors));
  const n = trees.length;
  return {
    name: 'tree_traversal',
    perTree(x: T.Tensor): T.Tensor {
      const rows = x.shape[0];
      const at = (a: T.Tensor, idx: T.Tensor) =>
        T.reshape(T.indexSelect(a, 0, T.reshape(idx, [rows * n])), [rows, n]);
      let idx = T.contiguous(T.expand(tensors.roots, [rows, n]));
      for (let level = 0; level < depth; level++) {
        const params: NodeParams = {
          tau: at(tensors.tau, idx),
          op: uniformOp === null ? at(tensors.op, idx) : undefined,
          missingTrue: at(tensors.missing, idx),
        };
        const test = nodeTest(T.gather(x, 1, at(tensors.feature, idx)), params, uniformOp);
        idx = T.where(test, at(tensors.trueChild, idx), at(tensors.falseChild, idx));
      }
      return T.reshape(T.indexSelect(tensors.values, 0, T.reshape(idx, [rows * n])), [rows, n, outputs]);
    },
    dispose: () => {
      for (const t of Object.values(tensors)) t.dispose();
    },
  };
}

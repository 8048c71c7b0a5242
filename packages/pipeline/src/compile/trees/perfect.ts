import * as T from '@tessera/tensor';
import { constants } from '../ops/rule.js';
import { type CanonicalOp, type CanonicalTree, LE } from './canonical.js';
import { type NodeParams, nodeTest } from './node-test.js';
import { type Aggregate, combineTrees, type TreeStrategy } from './strategy.js';

/**
 * Hummingbird's PerfectTreeTraversal strategy: every tree is padded to a perfect binary tree of the
 * ensemble's depth, so that node i of a level has children 2i (true) and 2i + 1 (false) on the next
 * and the walk needs no child arrays: one gather of the level's parameters per step. A leaf above
 * the bottom level has its value copied into every bottom slot below it, so whatever the padding
 * nodes test, the walk ends at that value. Memory grows as 2^depth per tree, so it suits moderate
 * depths (<= 10).
 */
export function perfectStrategy(
  trees: CanonicalTree[],
  outputs: number,
  depth: number,
  uniformOp: CanonicalOp | null,
  backend: T.Backend,
): TreeStrategy {
  const n = trees.length;
  const width = 2 ** depth;
  // Level l holds 2^l nodes per tree: [n, 2^l] flattened per level; leaves at the bottom level.
  const levels = Array.from({ length: depth }, (_, l) => ({
    feature: new Int32Array(n << l),
    tau: new Float32Array(n << l).fill(Number.POSITIVE_INFINITY),
    op: new Uint8Array(n << l).fill(LE),
    missing: new Uint8Array(n << l).fill(1),
  }));
  const values = new Float32Array(n * width * outputs);
  trees.forEach((t, k) => {
    const stack: [number, number, number][] = [[0, 0, 0]]; // (source node, level, index in level)
    while (stack.length) {
      const [v, l, i] = stack.pop()!;
      if (t.feature[v] < 0) {
        // The bottom slots under node i of level l: i · 2^(depth − l) up to the next node's.
        const span = 1 << (depth - l);
        for (let s = i * span; s < (i + 1) * span; s++) {
          for (let o = 0; o < outputs; o++)
            values[(k * width + s) * outputs + o] = t.leafValues[v * outputs + o];
        }
        continue;
      }
      const at = (k << l) + i;
      levels[l].feature[at] = t.feature[v];
      levels[l].tau[at] = t.tau[v];
      levels[l].op[at] = t.op[v];
      levels[l].missing[at] = t.missingTrue[v];
      stack.push([t.trueChild[v], l + 1, 2 * i], [t.falseChild[v], l + 1, 2 * i + 1]);
    }
  });
  const opts = { backend };
  const tensors = levels.map((lv, l) => ({
    feature: T.tensor(lv.feature, { ...opts, shape: [n, 1 << l] }),
    tau: T.tensor(lv.tau, { ...opts, shape: [n, 1 << l] }),
    op: T.tensor(lv.op, { ...opts, shape: [n, 1 << l] }),
    missing: T.tensor(lv.missing, { ...opts, shape: [n, 1 << l] }),
  }));
  const valuesT = T.tensor(values, { ...opts, shape: [n * width, outputs] });
  // Each tree's first slot in a level's [n, 2^l] layout, flattened: tree k starts at k · 2^l.
  const trees0 = T.tensor(
    Int32Array.from({ length: n }, (_, k) => k),
    { ...opts, shape: [1, n] },
  );
  constants(...tensors.flatMap((lv) => Object.values(lv)), valuesT, trees0);
  return {
    name: 'perfect_tree_traversal',
    run(x: T.Tensor, aggregate: Aggregate): T.Tensor {
      const rows = x.shape[0];
      let i = T.zeros([rows, n], { ...opts, dtype: 'i32' }); // index within the level, per (row, tree)
      tensors.forEach((lv, l) => {
        const flat = T.reshape(T.add(T.mul(trees0, 1 << l), i), [rows * n]);
        const at = (a: T.Tensor) => T.reshape(T.indexSelect(T.reshape(a, [n << l]), 0, flat), [rows, n]);
        const params: NodeParams = {
          tau: at(lv.tau),
          op: uniformOp === null ? at(lv.op) : undefined,
          missingTrue: at(lv.missing),
        };
        const test = nodeTest(T.gather(x, 1, at(lv.feature)), params, uniformOp);
        i = T.sub(T.add(T.mul(i, 2), 1), T.cast(test, 'i32'));
      });
      const slot = T.reshape(T.add(T.mul(trees0, width), i), [rows * n]);
      return combineTrees(T.reshape(T.indexSelect(valuesT, 0, slot), [rows, n, outputs]), aggregate);
    },
    dispose: () => {
      for (const lv of tensors) for (const t of Object.values(lv)) t.dispose();
      valuesT.dispose();
      trees0.dispose();
    },
  };
}

import * as T from '@tessera/tensor';
import { constants } from '../ops/rule.js';
import type { CanonicalOp, CanonicalTree } from './canonical.js';
import { type NodeParams, nodeTest } from './node-test.js';
import { type Aggregate, combineTrees, type TreeStrategy } from './strategy.js';

/** The padded GEMM layout of an ensemble: per-node parameters [n·I], C [n, I, L], D [n, L], E [n, L, outputs]. */
export interface GemmLayout {
  /** Trees, inner nodes and leaves per tree (after padding). */
  n: number;
  I: number;
  L: number;
  feature: Int32Array;
  tau: Float32Array;
  op: Uint8Array;
  missing: Uint8Array;
  C: Float32Array;
  D: Float32Array;
  E: Float32Array;
}

/** Lays out an ensemble for the GEMM strategy (and its trainable, soft form). */
export function gemmLayout(trees: CanonicalTree[], outputs: number): GemmLayout {
  const inner = trees.map((t) => [...t.feature.keys()].filter((v) => t.feature[v] >= 0));
  const leaves = trees.map((t) => [...t.feature.keys()].filter((v) => t.feature[v] < 0));
  const I = Math.max(1, ...inner.map((a) => a.length));
  const L = Math.max(...leaves.map((a) => a.length));
  const n = trees.length;
  const feature = new Int32Array(n * I);
  const tau = new Float32Array(n * I);
  const op = new Uint8Array(n * I);
  const missing = new Uint8Array(n * I);
  const C = new Float32Array(n * I * L);
  const D = new Float32Array(n * L).fill(-1); // padding leaves are never reached
  const E = new Float32Array(n * L * outputs);
  trees.forEach((t, k) => {
    const row = new Map(inner[k].map((v, i) => [v, i]));
    const column = new Map(leaves[k].map((v, l) => [v, l]));
    inner[k].forEach((v, i) => {
      feature[k * I + i] = t.feature[v];
      tau[k * I + i] = t.tau[v];
      op[k * I + i] = t.op[v];
      missing[k * I + i] = t.missingTrue[v];
    });
    // Walk root to leaves carrying the path: (node, +1 true side / −1 false side).
    const stack: [number, [number, number][]][] = [[0, []]];
    while (stack.length) {
      const [v, path] = stack.pop()!;
      if (t.feature[v] < 0) {
        const l = column.get(v) as number;
        for (const [node, side] of path) C[(k * I + (row.get(node) as number)) * L + l] = side;
        D[k * L + l] = path.filter(([, side]) => side > 0).length;
        for (let o = 0; o < outputs; o++) E[(k * L + l) * outputs + o] = t.leafValues[v * outputs + o];
        continue;
      }
      stack.push([t.falseChild[v], [...path, [v, -1]]]);
      stack.push([t.trueChild[v], [...path, [v, 1]]]);
    }
  });
  return { n, I, L, feature, tau, op, missing, C, D, E };
}

/**
 * Hummingbird's GEMM strategy: every inner node of every tree is tested at once, then two batched
 * matrix products find the leaf. Per tree, with I inner nodes and L leaves (padded to the largest
 * tree): C [I × L] holds +1 where the leaf lies under the node's true branch and −1 under its false
 * branch, and D [L] the number of true branches on the leaf's path. For tests t ∈ {0, 1}, t·C equals
 * D exactly at the leaf reached (every other leaf misses a true test or has a false one taken), and
 * the one-hot of that leaf times the leaf values E [L × outputs] gives the tree's output. The
 * features are read with an index select, not a product with a one-hot matrix as Hummingbird does,
 * so that NaN and ±inf inputs stay exact. Fastest for shallow trees (depth <= 3 by default).
 */
export function gemmStrategy(
  trees: CanonicalTree[],
  outputs: number,
  uniformOp: CanonicalOp | null,
  backend: T.Backend,
): TreeStrategy {
  const { n, I, L, feature, tau, op, missing, C, D, E } = gemmLayout(trees, outputs);
  const opts = { backend };
  const params: NodeParams = {
    tau: T.tensor(tau, opts),
    op: uniformOp === null ? T.tensor(op, opts) : undefined,
    missingTrue: T.tensor(missing, opts),
  };
  const featureT = T.tensor(feature, opts);
  const Ct = T.tensor(C, { ...opts, shape: [n, I, L] });
  const Dt = T.tensor(D, { ...opts, shape: [n, 1, L] });
  const Et = T.tensor(E, { ...opts, shape: [n, L, outputs] });
  const owned = [params.tau, params.op, params.missingTrue, featureT, Ct, Dt, Et].filter(
    (t): t is T.Tensor => !!t,
  );
  constants(...owned);
  return {
    name: 'gemm',
    run(x: T.Tensor, aggregate: Aggregate): T.Tensor {
      const rows = x.shape[0];
      const tests = T.cast(nodeTest(T.indexSelect(x, 1, featureT), params, uniformOp), 'f32'); // [rows, n·I]
      const byTree = T.transpose(T.reshape(tests, [rows, n, I]), 0, 1); // [n, rows, I]
      const hit = T.cast(T.eq(T.matmul(byTree, Ct), Dt), 'f32'); // [n, rows, L]
      return combineTrees(T.transpose(T.matmul(hit, Et), 0, 1), aggregate); // over [rows, n, outputs]
    },
    dispose: () => {
      for (const t of owned) t.dispose();
    },
  };
}

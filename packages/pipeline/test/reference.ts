// An independent evaluator of the intermediate pipeline's tree ensembles, in float64, straight from
// the operator's definition (src/ir/types.ts): walk each tree comparing the float32 feature with the
// float64 threshold by its rule, NaN to the missing branch; aggregate; add the base; apply the link.
import type { PostTransform, SplitRule, TreeEnsembleOp } from '../src/index.js';

const HOLDS: Record<SplitRule, (x: number, t: number) => boolean> = {
  leq: (x, t) => x <= t,
  lt: (x, t) => x < t,
  gte: (x, t) => x >= t,
  gt: (x, t) => x > t,
  eq: (x, t) => x === t,
  neq: (x, t) => x !== t,
};

/** Each tree's leaf values for one row. */
export function leafValues(op: TreeEnsembleOp, x: ArrayLike<number>): number[][] {
  return op.trees.map((t) => {
    let v = 0;
    while (t.feature[v] >= 0) {
      const f = x[t.feature[v]];
      const goTrue = Number.isNaN(f) ? t.missingTrue[v] === 1 : HOLDS[t.rule[v]](f, t.threshold[v]);
      v = goTrue ? t.trueChild[v] : t.falseChild[v];
    }
    return Array.from({ length: op.outputs }, (_, o) => t.leafValues[v * op.outputs + o]);
  });
}

export function link(scores: number[], post: PostTransform): number[] {
  if (post === 'logistic') return scores.map((s) => 1 / (1 + Math.exp(-s)));
  if (post === 'softmax') {
    const m = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  }
  if (post === 'none') return scores;
  throw new Error(`reference: no ${post}`);
}

/** The ensemble's outputs for every row of x [rows, features]. */
export function predictTrees(op: TreeEnsembleOp, x: Float32Array, features: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / features; r++) {
    const leaves = leafValues(op, x.subarray(r * features, (r + 1) * features));
    const scores = Array.from({ length: op.outputs }, (_, o) => {
      const vals = leaves.map((l) => l[o]);
      const agg =
        op.aggregate === 'sum'
          ? vals.reduce((a, b) => a + b, 0)
          : op.aggregate === 'average'
            ? vals.reduce((a, b) => a + b, 0) / vals.length
            : op.aggregate === 'min'
              ? Math.min(...vals)
              : Math.max(...vals);
      return agg + op.base[o];
    });
    out.push(...link(scores, op.post));
  }
  return out;
}

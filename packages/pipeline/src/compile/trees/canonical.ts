import type { SplitRule, Tree, TreeEnsembleOp } from '../../ir/types.js';
import { ceilF32, floorF32 } from '../float32.js';

/**
 * The comparison a canonical node makes on a float32 feature x against its float32 threshold τ:
 * 0 `x < τ`, 1 `x <= τ`, 2 `x == τ`. Every source rule reduces to one of these, exactly, by
 * rounding the threshold in the right direction and swapping the children where the rule is a
 * negation (x >= t is not x < t).
 */
export type CanonicalOp = 0 | 1 | 2;
export const LT: CanonicalOp = 0;
export const LE: CanonicalOp = 1;
export const EQ: CanonicalOp = 2;

/**
 * A tree whose inner nodes test `x[feature] <op> tau` and go to `trueChild` when it holds, and to
 * `trueChild` for a NaN feature where `missingTrue` is 1. Arrays have the source tree's node order.
 */
export interface CanonicalTree {
  feature: Int32Array;
  tau: Float32Array;
  op: Uint8Array;
  trueChild: Int32Array;
  falseChild: Int32Array;
  missingTrue: Uint8Array;
  leafValues: Float64Array;
  /** Edges from the root to the deepest leaf. */
  depth: number;
}

/** How one source rule maps to a canonical test: op, rounded threshold, whether the children swap. */
function canonicalRule(rule: SplitRule, t: number): { op: CanonicalOp; tau: number; swap: boolean } {
  switch (rule) {
    case 'leq':
      return { op: LE, tau: floorF32(t), swap: false };
    case 'lt':
      return { op: LT, tau: ceilF32(t), swap: false };
    case 'gte': // x >= t  ⟺  !(x < t)
      return { op: LT, tau: ceilF32(t), swap: true };
    case 'gt': // x > t  ⟺  !(x <= t)
      return { op: LE, tau: floorF32(t), swap: true };
    case 'eq':
    case 'neq': {
      const swap = rule === 'neq';
      // No float32 equals a threshold float32 cannot hold: x == t never holds (x < -inf).
      if (Math.fround(t) !== t) return { op: LT, tau: Number.NEGATIVE_INFINITY, swap };
      return { op: EQ, tau: t, swap };
    }
  }
}

/** Reduces a source tree to canonical tests on float32 thresholds (see {@link CanonicalOp}). */
export function canonicalTree(tree: Tree): CanonicalTree {
  const n = tree.feature.length;
  const out: CanonicalTree = {
    feature: new Int32Array(n),
    tau: new Float32Array(n),
    op: new Uint8Array(n),
    trueChild: new Int32Array(n),
    falseChild: new Int32Array(n),
    missingTrue: new Uint8Array(n),
    leafValues: tree.leafValues,
    depth: 0,
  };
  const depth = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    out.feature[v] = tree.feature[v];
    if (tree.feature[v] < 0) {
      out.trueChild[v] = out.falseChild[v] = -1;
      continue;
    }
    const { op, tau, swap } = canonicalRule(tree.rule[v], tree.threshold[v]);
    out.op[v] = op;
    out.tau[v] = tau;
    const [t, f] = [tree.trueChild[v], tree.falseChild[v]];
    out.trueChild[v] = swap ? f : t;
    out.falseChild[v] = swap ? t : f;
    out.missingTrue[v] = swap ? 1 - tree.missingTrue[v] : tree.missingTrue[v];
  }
  // Depth by a walk from the root (children may precede their parents in the arrays).
  const stack = [0];
  while (stack.length) {
    const v = stack.pop()!;
    out.depth = Math.max(out.depth, depth[v]);
    if (out.feature[v] < 0) continue;
    for (const c of [out.trueChild[v], out.falseChild[v]]) {
      depth[c] = depth[v] + 1;
      stack.push(c);
    }
  }
  return out;
}

/** An ensemble's trees in canonical form, and whether all their inner nodes use one comparison. */
export function canonicalEnsemble(op: TreeEnsembleOp): {
  trees: CanonicalTree[];
  depth: number;
  uniformOp: CanonicalOp | null;
} {
  const trees = op.trees.map(canonicalTree);
  const ops = new Set<number>();
  for (const t of trees) for (let v = 0; v < t.feature.length; v++) if (t.feature[v] >= 0) ops.add(t.op[v]);
  return {
    trees,
    depth: Math.max(...trees.map((t) => t.depth)),
    uniformOp: ops.size <= 1 ? (([...ops][0] ?? LE) as CanonicalOp) : null,
  };
}

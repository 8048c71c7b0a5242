import type { Node, Pipeline, ScalerOp, SplitRule, Tree, TreeEnsembleOp } from '../ir/types.js';
import { canonicalTree, EQ, LT } from './trees/canonical.js';

/**
 * A scaler feeding tree ensembles is folded into their thresholds: a node testing the scaled
 * feature u = f32((x − offset)·scale) against τ becomes a test of the raw float32 feature x against
 * the exact boundary where that test changes. The scaled value is what a source computes in float64
 * and rounds to float32 (scikit-learn's scaler, then its trees' cast); computing it in float32
 * instead can land an ulp or two away and cross a split. Folded, the trees decide exactly as the
 * source does for every float32 input (and skip the scaling). Trees whose scaler has a zero scale,
 * or which test equality on a scaled feature, are left as they are.
 */
export function foldScalersIntoTrees(pipeline: Pipeline): Pipeline {
  const producers = new Map<string, Node>();
  for (const n of pipeline.nodes) for (const o of n.outputs) producers.set(o, n);
  const nodes = pipeline.nodes.map((node): Node => {
    if (node.op.kind !== 'trees') return node;
    const scaler = producers.get(node.inputs[0]);
    if (scaler?.op.kind !== 'scaler') return node;
    const folded = foldEnsemble(node.op, scaler.op);
    return folded ? { ...node, inputs: [scaler.inputs[0]], op: folded } : node;
  });
  // A scaler whose output nothing reads any more is dropped.
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...pipeline.outputs]);
  return {
    ...pipeline,
    nodes: nodes.filter((n) => n.op.kind !== 'scaler' || n.outputs.some((o) => read.has(o))),
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 ↔ an integer key in the floats' order (−inf … −0 +0 … +inf), for bisection. */
function keyOf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  return b & 0x80000000 ? -(b & 0x7fffffff) - 1 : b;
}
function floatOf(k: number): number {
  u32[0] = k < 0 ? (-(k + 1) | 0x80000000) >>> 0 : k;
  return f32[0];
}
const LO = keyOf(Number.NEGATIVE_INFINITY);
const HI = keyOf(Number.POSITIVE_INFINITY);

/** The largest float32 x with `holds(x)` for a predicate true up to some x and false after (or −inf − 1 step: none). */
function lastTrue(holds: (x: number) => boolean): number | undefined {
  if (!holds(floatOf(LO))) return undefined;
  let [lo, hi] = [LO, HI];
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (holds(floatOf(mid))) lo = mid;
    else hi = mid - 1;
  }
  return floatOf(lo);
}

function foldEnsemble(op: TreeEnsembleOp, scaler: ScalerOp): TreeEnsembleOp | undefined {
  const at = (v: number[], j: number) => (v.length === 1 ? v[0] : v[j]);
  const trees: Tree[] = [];
  for (const tree of op.trees) {
    const c = canonicalTree(tree);
    const rule: SplitRule[] = [];
    const threshold = new Float64Array(c.feature.length);
    const trueChild = Int32Array.from(c.trueChild);
    const falseChild = Int32Array.from(c.falseChild);
    const missingTrue = Uint8Array.from(c.missingTrue);
    for (let v = 0; v < c.feature.length; v++) {
      const j = c.feature[v];
      if (j < 0) {
        rule.push('leq');
        continue;
      }
      const [o, s] = [at(scaler.offset, j), at(scaler.scale, j)];
      if (s === 0 || c.op[v] === EQ) return undefined;
      const tau = c.tau[v];
      const scaled = (x: number) => Math.fround((x - o) * s);
      const test = c.op[v] === LT ? (x: number) => scaled(x) < tau : (x: number) => scaled(x) <= tau;
      if (s > 0) {
        // The test holds for x up to a boundary: x <= boundary (never, when there is none).
        const b = lastTrue(test);
        rule.push(b === undefined ? 'lt' : 'leq');
        threshold[v] = b ?? Number.NEGATIVE_INFINITY;
      } else {
        // Scaling by a negative number reverses the order: the test fails up to a boundary.
        const b = lastTrue((x) => !test(x));
        rule.push(b === undefined ? 'gte' : 'gt');
        threshold[v] = b ?? Number.NEGATIVE_INFINITY;
      }
    }
    trees.push({
      feature: c.feature,
      threshold,
      rule,
      trueChild,
      falseChild,
      missingTrue,
      leafValues: tree.leafValues,
    });
  }
  return { ...op, trees };
}

import { Module } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { postTransform } from '../compile/post.js';
import { type CanonicalTree, canonicalEnsemble, EQ, LE, LT } from '../compile/trees/canonical.js';
import { gemmLayout } from '../compile/trees/gemm.js';
import { nodeTest } from '../compile/trees/node-test.js';
import type { Tree, TreeEnsembleOp } from '../ir/types.js';

/** log σ(z), stable for large |z|: min(z, 0) − log(1 + e^−|z|). */
const logSigmoid = (z: T.Tensor) => T.sub(T.minimum(z, 0), T.log(T.add(T.exp(T.neg(T.abs(z))), 1)));

/**
 * log-probabilities below this are treated as 0 probability. A product with the path matrices would
 * turn −inf into NaN (−inf · 0), so fixed (missing-value and equality) tests use it instead.
 */
const LOG_ZERO = -1e4;

/**
 * A tree ensemble as a differentiable network (arXiv 1906.03822's relaxation of the GEMM form): a
 * node's hard test x < τ becomes the probability σ((τ − x) / (t·s)) for temperature t and the
 * feature's scale s, a leaf is reached with the product of the probabilities along its path
 * (computed in log space as two products with the path matrices), and the output is the
 * probability-weighted sum of leaf values. Thresholds and leaf values are parameters; which feature
 * a node reads is not. NaN features take their node's missing-value branch with certainty, and
 * equality tests stay hard. With `hard`, the forward pass is the exact compiled ensemble, on the
 * current parameters.
 */
export class SoftTreeEnsemble extends Module {
  /** The relaxation's temperature: smaller is closer to the hard trees. */
  temperature: number;
  readonly tau: T.Tensor;
  readonly leafValues: T.Tensor;
  readonly base: T.Tensor;
  private readonly feature: T.Tensor;
  private readonly op: T.Tensor;
  private readonly missing: T.Tensor;
  private readonly scale: T.Tensor;
  private readonly paths: { C: T.Tensor; D: T.Tensor; plus: T.Tensor; minus: T.Tensor };
  private readonly layout: { n: number; I: number; L: number };
  private readonly canonical: CanonicalTree[];

  constructor(
    readonly source: TreeEnsembleOp,
    backend: T.Backend,
    options: { temperature: number; featureScale?: ArrayLike<number> },
  ) {
    super();
    this.temperature = options.temperature;
    const { trees } = canonicalEnsemble(source);
    this.canonical = trees;
    const g = gemmLayout(trees, source.outputs);
    const { n, I, L } = g;
    this.layout = { n, I, L };
    const opts = { backend };
    this.tau = this.param('tau', T.tensor(g.tau, opts));
    this.leafValues = this.param('leaf_values', T.tensor(g.E, { ...opts, shape: [n, L, source.outputs] }));
    this.base = this.param(
      'base',
      T.tensor(Float32Array.from(source.base), { ...opts, shape: [1, source.outputs] }),
    );
    this.feature = T.tensor(g.feature, opts);
    this.op = T.tensor(g.op, opts);
    this.missing = T.tensor(g.missing, opts);
    const scales = Float32Array.from(g.feature, (f) => Math.max(options.featureScale?.[f] ?? 1, 1e-6));
    this.scale = T.tensor(scales, opts);
    const plus = g.C.map((c) => (c > 0 ? 1 : 0));
    const minus = g.C.map((c) => (c < 0 ? 1 : 0));
    this.paths = {
      C: T.tensor(g.C, { ...opts, shape: [n, I, L] }),
      D: T.tensor(g.D, { ...opts, shape: [n, 1, L] }),
      plus: T.tensor(plus, { ...opts, shape: [n, I, L] }),
      minus: T.tensor(minus, { ...opts, shape: [n, I, L] }),
    };
  }

  /** x [rows, features] → scores [rows, outputs], soft (differentiable) or hard (exact). */
  forward(x: T.Tensor, hard = false): T.Tensor {
    const { n, I } = this.layout;
    const rows = x.shape[0];
    const fx = T.indexSelect(x, 1, this.feature); // [rows, n·I]
    let reach: T.Tensor; // [n, rows, L]
    if (hard) {
      const tests = T.cast(
        nodeTest(fx, { tau: this.tau, op: this.op, missingTrue: this.missing }, null),
        'f32',
      );
      const byTree = T.transpose(T.reshape(tests, [rows, n, I]), 0, 1);
      reach = T.cast(T.eq(T.matmul(byTree, this.paths.C), this.paths.D), 'f32');
    } else {
      const nan = T.ne(fx, fx);
      const clean = T.where(nan, 0, fx); // NaN never reaches the sigmoid (its gradient would be NaN)
      const z = T.div(T.sub(this.tau, clean), T.mul(this.scale, this.temperature));
      const fixed = T.where(nan, this.missing, T.eq(fx, this.tau));
      const isFixed = T.maximum(T.cast(nan, 'u8'), T.cast(T.eq(this.op, EQ), 'u8'));
      const fixedLog = (take: T.Tensor) => T.mul(T.cast(T.eq(take, 0), 'f32'), LOG_ZERO);
      const logTrue = T.where(isFixed, fixedLog(fixed), logSigmoid(z));
      const logFalse = T.where(isFixed, fixedLog(T.eq(fixed, 0)), logSigmoid(T.neg(z)));
      const byTree = (t: T.Tensor) => T.transpose(T.reshape(t, [rows, n, I]), 0, 1);
      reach = T.exp(
        T.add(T.matmul(byTree(logTrue), this.paths.plus), T.matmul(byTree(logFalse), this.paths.minus)),
      );
    }
    const perTree = T.transpose(T.matmul(reach, this.leafValues), 0, 1); // [rows, n, outputs]
    const agg = {
      sum: () => T.sum(perTree, 1),
      average: () => T.div(T.sum(perTree, 1), n),
      min: () => T.min(perTree, 1),
      max: () => T.max(perTree, 1),
    }[this.source.aggregate]();
    return postTransform(T.add(agg, this.base), this.source.post);
  }

  /** The ensemble with the current thresholds, leaf values and base, in the intermediate form. */
  async toOperator(): Promise<TreeEnsembleOp> {
    const [tau, values, base] = await Promise.all([
      this.tau.data(),
      this.leafValues.data(),
      this.base.data(),
    ]);
    const { I, L } = this.layout;
    const outputs = this.source.outputs;
    const trees = this.canonical.map((t, k): Tree => {
      const nodes = t.feature.length;
      const threshold = new Float64Array(nodes);
      const leafValues = new Float64Array(nodes * outputs);
      let i = 0;
      let l = 0;
      // The layout numbers inner nodes and leaves in node order: read them back in that order.
      for (let v = 0; v < nodes; v++) {
        if (t.feature[v] >= 0) threshold[v] = tau[k * I + i++];
        else {
          for (let o = 0; o < outputs; o++) leafValues[v * outputs + o] = values[(k * L + l) * outputs + o];
          l++;
        }
      }
      return {
        feature: t.feature,
        threshold,
        rule: [...t.op].map((op) => (op === LT ? 'lt' : op === LE ? 'leq' : 'eq')),
        trueChild: t.trueChild,
        falseChild: t.falseChild,
        missingTrue: t.missingTrue,
        leafValues,
      };
    });
    return { ...this.source, trees, base: [...base] };
  }

  override dispose(): void {
    super.dispose();
    for (const t of [this.feature, this.op, this.missing, this.scale, ...Object.values(this.paths)])
      t.dispose();
  }
}

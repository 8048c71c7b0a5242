// The three tree strategies against an independent float64 evaluator of the intermediate pipeline
// (test/reference.ts), on random ensembles: every split rule, thresholds that float32 cannot hold and
// thresholds equal to feature values (ties), NaN routed either way, ±inf features, trees of uneven
// depth including single leaves, several outputs, every aggregate and link.
import * as T from '@tessera/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compile,
  type Pipeline,
  type SplitRule,
  type Tree,
  type TreeEnsembleOp,
  type TreeStrategyName,
} from '../src/index.js';
import { backends, expectClose, rng } from './helpers.js';
import { predictTrees } from './reference.js';

const RULES: SplitRule[] = ['leq', 'lt', 'gte', 'gt', 'eq', 'neq'];
const STRATEGIES: TreeStrategyName[] = ['gemm', 'tree_traversal', 'perfect_tree_traversal'];
const list = await backends();

/** Feature values drawn from a small grid (so equality and ties happen), with NaN and ±inf. */
const GRID = [-2, -1, -0.5, 0, 0.1, 0.5, 1, 2, 3.3];
function features(r: () => number, rows: number, f: number): Float32Array {
  return Float32Array.from({ length: rows * f }, () => {
    const u = r();
    if (u < 0.05) return Number.NaN;
    if (u < 0.07) return r() < 0.5 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return GRID[Math.floor(r() * GRID.length)] + (r() < 0.3 ? r() - 0.5 : 0);
  });
}

/** A random tree of depth at most `maxDepth`, nodes numbered in creation order (root 0). */
function randomTree(r: () => number, maxDepth: number, f: number, outputs: number, rules: SplitRule[]): Tree {
  const nodes: {
    feature: number;
    threshold: number;
    rule: SplitRule;
    t: number;
    f: number;
    miss: number;
    values: number[];
  }[] = [];
  const grow = (depth: number): number => {
    const id = nodes.length;
    const leaf = depth >= maxDepth || (depth > 0 && r() < 0.25);
    nodes.push({
      feature: leaf ? -1 : Math.floor(r() * f),
      // Grid values (ties with the features), or doubles float32 cannot hold.
      threshold: r() < 0.5 ? GRID[Math.floor(r() * GRID.length)] : (r() - 0.5) * 4 + 1e-9,
      rule: rules[Math.floor(r() * rules.length)],
      t: -1,
      f: -1,
      miss: r() < 0.5 ? 1 : 0,
      values: Array.from({ length: outputs }, () => (leaf ? Math.round((r() - 0.5) * 1000) / 100 : 0)),
    });
    if (!leaf) {
      nodes[id].t = grow(depth + 1);
      nodes[id].f = grow(depth + 1);
    }
    return id;
  };
  grow(0);
  const inner = (n: (typeof nodes)[number]) => n.feature >= 0;
  return {
    feature: Int32Array.from(nodes, (n) => n.feature),
    threshold: Float64Array.from(nodes, (n) => (inner(n) ? n.threshold : 0)),
    rule: nodes.map((n) => n.rule),
    trueChild: Int32Array.from(nodes, (n) => n.t),
    falseChild: Int32Array.from(nodes, (n) => n.f),
    missingTrue: Uint8Array.from(nodes, (n) => n.miss),
    leafValues: Float64Array.from(nodes.flatMap((n) => n.values)),
  };
}

function ensemble(op: TreeEnsembleOp, f: number): Pipeline {
  return {
    source: 'onnx',
    inputs: [{ name: 'x', kind: 'float', columns: f }],
    outputs: ['y'],
    nodes: [{ name: 'trees', inputs: ['x'], outputs: ['y'], op }],
  };
}

describe.each(list)('tree ensembles on %s', (_name, backend) => {
  const cases: [
    string,
    Partial<Omit<TreeEnsembleOp, 'trees'>> & { depth: number; count: number; rules: SplitRule[] },
  ][] = [
    [
      'sum, one output, every rule, depth 4',
      { depth: 4, count: 7, rules: RULES, outputs: 1, aggregate: 'sum', post: 'none' },
    ],
    [
      'average, 3 outputs, leq, depth 6, softmax',
      { depth: 6, count: 12, rules: ['leq'], outputs: 3, aggregate: 'average', post: 'softmax' },
    ],
    ['min, lt, depth 2', { depth: 2, count: 5, rules: ['lt'], outputs: 2, aggregate: 'min', post: 'none' }],
    [
      'max, gte/gt, depth 5, logistic',
      { depth: 5, count: 9, rules: ['gte', 'gt'], outputs: 1, aggregate: 'max', post: 'logistic' },
    ],
    [
      'single leaves among trees of depth 3',
      { depth: 0, count: 3, rules: ['leq'], outputs: 2, aggregate: 'sum', post: 'none' },
    ],
  ];
  it.each(cases)('%s: every strategy equals the float64 reference', async (_label, spec) => {
    const r = rng(spec.count * 101 + spec.depth);
    const f = 5;
    const outputs = spec.outputs ?? 1;
    const trees = Array.from({ length: spec.count }, (_, i) =>
      randomTree(r, spec.depth === 0 && i === 0 ? 3 : spec.depth, f, outputs, spec.rules),
    );
    const op: TreeEnsembleOp = {
      kind: 'trees',
      trees,
      outputs,
      aggregate: spec.aggregate ?? 'sum',
      base: Array.from({ length: outputs }, (_, o) => o * 0.25),
      post: spec.post ?? 'none',
    };
    const x = features(r, 300, f);
    const want = predictTrees(op, x, f);
    for (const strategy of STRATEGIES) {
      const program = compile(ensemble(op, f), { backend, strategy });
      const got = (await program.predict(x)).y as Float32Array;
      // Leaf values sum in float32 over up to 12 trees: a few float32 ulps of the largest sum.
      expectClose(got, want, 1e-6, 1e-5, `${strategy}`);
      program.dispose();
    }
  });

  it("'hummingbird' chooses GEMM up to depth 3, the perfect traversal to 10, the traversal beyond; 'auto' the traversal", () => {
    for (const [depth, expected] of [
      [2, 'gemm'],
      [3, 'gemm'],
      [4, 'perfect_tree_traversal'],
      [10, 'perfect_tree_traversal'],
      [11, 'tree_traversal'],
    ] as const) {
      // A full tree of exactly `depth` (r = 0.6 never stops early).
      const tree = randomTree(() => 0.6, depth, 3, 1, ['leq']);
      const p = ensemble(
        { kind: 'trees', trees: [tree], outputs: 1, aggregate: 'sum', base: [0], post: 'none' },
        3,
      );
      const program = compile(p, { backend, strategy: 'hummingbird' });
      expect(program.strategies).toEqual({ trees: expected });
      program.dispose();
      const auto = compile(p, { backend });
      expect(auto.strategies).toEqual({ trees: 'tree_traversal' });
      auto.dispose();
    }
  });
});

describe('the fused traversal over many trees within a capped loop budget', async () => {
  const gpu = list.find(([n]) => n === 'webgpu');
  // 200 iterations: an invocation walks ~18 of these depth-6 trees, so 50 trees take 3 dispatches.
  const capped = gpu ? await T.createWebGPUBackend({ loopBudget: 200 }) : undefined;
  afterAll(() => capped?.ctx.destroy());
  it.skipIf(!capped).each(['sum', 'min', 'max'] as const)(
    '%s over 50 trees equals the float64 reference',
    async (aggregate) => {
      const r = rng(77);
      const f = 4;
      const trees = Array.from({ length: 50 }, () => randomTree(r, 6, f, 2, ['leq', 'lt', 'gt']));
      const op: TreeEnsembleOp = { kind: 'trees', trees, outputs: 2, aggregate, base: [0, 0], post: 'none' };
      const x = features(r, 64, f);
      const program = compile(ensemble(op, f), { backend: capped as T.Backend, strategy: 'tree_traversal' });
      // Fifty leaf values summed in float32: a few ulps of the largest partial sum.
      expectClose(
        (await program.predict(x)).y as Float32Array,
        predictTrees(op, x, f),
        1e-6,
        2e-5,
        aggregate,
      );
      program.dispose();
    },
  );
});

describe.each(list)('a scaler feeding trees, folded into their thresholds, on %s', (_name, backend) => {
  it('decides as float32((x − offset)·scale) computed in float64, for every strategy, at the boundaries', async () => {
    const r = rng(31);
    const f = 3;
    const offset = [0.1, -2.5, 1 / 3];
    const scale = [1.7, -0.3, 1 / 7]; // a negative scale reverses the order
    const trees = Array.from({ length: 6 }, () => randomTree(r, 4, f, 1, ['leq', 'lt', 'gt', 'gte']));
    const op: TreeEnsembleOp = {
      kind: 'trees',
      trees,
      outputs: 1,
      aggregate: 'sum',
      base: [0],
      post: 'none',
    };
    // Rows from the grid, plus raw values whose scaled value lands on or an ulp beside a threshold.
    const x = Array.from(features(r, 200, f));
    for (const t of trees) {
      for (let v = 0; v < t.feature.length; v++) {
        const j = t.feature[v];
        if (j < 0) continue;
        const raw = t.threshold[v] / scale[j] + offset[j];
        for (const d of [-2e-7, 0, 2e-7]) {
          const row = [0, 0, 0];
          row[j] = Math.fround(raw * (1 + d));
          x.push(...row);
        }
      }
    }
    const xs = Float32Array.from(x);
    // The reference: scale each row in float64, round to float32, walk the trees by their rules.
    const scaled = xs.map((v, i) => Math.fround((v - offset[i % f]) * scale[i % f]));
    const want = predictTrees(op, scaled, f);
    const p: Pipeline = {
      source: 'sklearn',
      inputs: [{ name: 'x', kind: 'float', columns: f }],
      outputs: ['y'],
      nodes: [
        { name: 'scale', inputs: ['x'], outputs: ['s'], op: { kind: 'scaler', offset, scale } },
        { name: 'trees', inputs: ['s'], outputs: ['y'], op },
      ],
    };
    for (const strategy of STRATEGIES) {
      const program = compile(p, { backend, strategy });
      expect(program.pipeline.nodes.map((n) => n.op.kind)).toEqual(['trees']);
      expectClose((await program.predict(xs)).y as Float32Array, want, 1e-6, 1e-5, strategy);
      program.dispose();
    }
  });
});

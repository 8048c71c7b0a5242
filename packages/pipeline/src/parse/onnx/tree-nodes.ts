// The node lists of ONNX-ML tree ensembles turned into the pipeline's flat trees, reading them as
// onnxruntime does: each tree's nodes are listed together, the first of them being its root; children are found by (tree id, node id) anywhere in the list; unreachable nodes are
// dropped; a subtree reached from two parents is copied (onnxruntime walks such graphs too); cycles
// are refused.
import type { SplitRule, Tree } from '../../ir/types.js';
import type { NodeContext } from './context.js';

const RULES: Record<string, SplitRule> = {
  BRANCH_LEQ: 'leq',
  BRANCH_LT: 'lt',
  BRANCH_GTE: 'gte',
  BRANCH_GT: 'gt',
  BRANCH_EQ: 'eq',
  BRANCH_NEQ: 'neq',
};

/** The listed nodes of an ensemble, one entry per node in attribute order. */
export interface ListedNodes {
  treeIds: number[];
  nodeIds: number[];
  /** The rule of each branch; null at leaves. */
  rules: (SplitRule | null)[];
  features: number[];
  thresholds: number[];
  trueIds: number[];
  falseIds: number[];
  missingTrue: boolean[];
  /** Listed index of each (tree id, node id). */
  index: Map<string, number>;
}

export const nodeKey = (tree: number, node: number): string => `${tree}:${node}`;

/** Reads and cross-checks the `nodes_*` attributes. */
export function readNodes(ctx: NodeContext): ListedNodes {
  const a = ctx.attrs;
  const treeIds = a.ints('nodes_treeids') ?? ctx.fail("attribute 'nodes_treeids' is required");
  const n = treeIds.length;
  if (n === 0) ctx.fail('the ensemble has no nodes');
  const list = (name: string, values: unknown[] | undefined): void => {
    if (!values) ctx.fail(`attribute '${name}' is required`);
    if (values.length !== n) ctx.fail(`${name} has ${values.length} entries, nodes_treeids has ${n}`);
  };
  const nodeIds = a.ints('nodes_nodeids');
  const features = a.ints('nodes_featureids');
  const modes = a.strings('nodes_modes');
  const trueIds = a.ints('nodes_truenodeids');
  const falseIds = a.ints('nodes_falsenodeids');
  const values = a.numbers('nodes_values', 'nodes_values_as_tensor');
  for (const [name, v] of [
    ['nodes_nodeids', nodeIds],
    ['nodes_featureids', features],
    ['nodes_modes', modes],
    ['nodes_truenodeids', trueIds],
    ['nodes_falsenodeids', falseIds],
    ['nodes_values', values],
  ] as const)
    list(name, v);
  const missing = a.ints('nodes_missing_value_tracks_true') ?? [];
  if (missing.length > n)
    ctx.fail(`nodes_missing_value_tracks_true has ${missing.length} entries for ${n} nodes`);
  const rules = modes!.map((m, i) => {
    if (m === 'LEAF') return null;
    return (
      RULES[m] ?? ctx.fail(`node ${i} has mode '${m}'; modes are LEAF, ${Object.keys(RULES).join(', ')}`)
    );
  });
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = nodeKey(treeIds[i], nodeIds![i]);
    if (index.has(key)) ctx.fail(`node ${nodeIds![i]} of tree ${treeIds[i]} is listed twice`);
    index.set(key, i);
    if (rules[i] && features![i] < 0) ctx.fail(`node ${i} tests feature ${features![i]}`);
  }
  return {
    treeIds,
    nodeIds: nodeIds!,
    rules,
    features: features!,
    // onnxruntime compares float inputs with float thresholds.
    thresholds: values!.map(Math.fround),
    trueIds: trueIds!,
    falseIds: falseIds!,
    // onnxruntime compares NaN too: only NaN ≠ t holds. The pipeline sends NaN by missingTrue alone.
    missingTrue: treeIds.map((_, i) => missing[i] === 1 || rules[i] === 'neq'),
    index,
  };
}

/** The trees of an ensemble and, per tree, the listed indices of the leaves it reaches. */
export interface BuiltTrees {
  trees: Tree[];
  leaves: number[][];
}

/**
 * Builds one pipeline tree per run of tree ids. `leafValue(i)` gives listed leaf i's `outputs` values.
 * Copying shared subtrees is bounded: more than `budget` nodes in all is refused.
 */
export function buildTrees(
  ctx: NodeContext,
  nodes: ListedNodes,
  outputs: number,
  leafValue: (listed: number) => number[],
  budget = Math.max(4 * nodes.treeIds.length, 100_000),
): BuiltTrees {
  const trees: Tree[] = [];
  const leaves: number[][] = [];
  let total = 0;
  const n = nodes.treeIds.length;
  const seen = new Set<number>();
  for (let start = 0; start < n; ) {
    const tree = nodes.treeIds[start];
    if (seen.has(tree)) ctx.fail(`the nodes of tree ${tree} are not listed together`);
    seen.add(tree);
    let end = start;
    while (end < n && nodes.treeIds[end] === tree) end++;
    const built = buildOne(ctx, nodes, tree, start, outputs, leafValue, budget - total);
    total += built.tree.feature.length;
    trees.push(built.tree);
    leaves.push(built.leaves);
    start = end;
  }
  return { trees, leaves };
}

function buildOne(
  ctx: NodeContext,
  nodes: ListedNodes,
  tree: number,
  root: number,
  outputs: number,
  leafValue: (listed: number) => number[],
  budget: number,
): { tree: Tree; leaves: number[] } {
  // Depth first from the root; `order` lists the listed index of each emitted node.
  const order: number[] = [];
  const trueChild: number[] = [];
  const falseChild: number[] = [];
  const onPath = new Set<number>();
  type Frame = { listed: number; at: number; stage: 0 | 1 | 2 };
  const child = (from: number, id: number, side: string): number => {
    const listed = nodes.index.get(nodeKey(tree, id));
    if (listed === undefined)
      ctx.fail(`node ${nodes.nodeIds[from]} of tree ${tree} has ${side} child ${id}, which is not listed`);
    if (onPath.has(listed)) ctx.fail(`tree ${tree} has a cycle through node ${id}`);
    return listed;
  };
  const emit = (listed: number): Frame => {
    if (order.length >= budget)
      ctx.fail(`the trees share subtrees too much to unfold (more than ${budget} nodes)`);
    order.push(listed);
    trueChild.push(-1);
    falseChild.push(-1);
    onPath.add(listed);
    return { listed, at: order.length - 1, stage: 0 };
  };
  const stack: Frame[] = [emit(root)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (!nodes.rules[f.listed] || f.stage === 2) {
      onPath.delete(f.listed);
      stack.pop();
      continue;
    }
    const side = f.stage === 0 ? 'true' : 'false';
    const id = f.stage === 0 ? nodes.trueIds[f.listed] : nodes.falseIds[f.listed];
    const next = emit(child(f.listed, id, side));
    (f.stage === 0 ? trueChild : falseChild)[f.at] = next.at;
    f.stage = f.stage === 0 ? 1 : 2;
    stack.push(next);
  }
  const size = order.length;
  const t: Tree = {
    feature: new Int32Array(size),
    threshold: new Float64Array(size),
    rule: new Array<SplitRule>(size),
    trueChild: Int32Array.from(trueChild),
    falseChild: Int32Array.from(falseChild),
    missingTrue: new Uint8Array(size),
    leafValues: new Float64Array(size * outputs),
  };
  const leafList: number[] = [];
  order.forEach((listed, v) => {
    const rule = nodes.rules[listed];
    if (rule) {
      t.feature[v] = nodes.features[listed];
      t.threshold[v] = nodes.thresholds[listed];
      t.rule[v] = rule;
      t.missingTrue[v] = nodes.missingTrue[listed] ? 1 : 0;
      return;
    }
    t.feature[v] = -1;
    t.rule[v] = 'leq';
    t.leafValues.set(leafValue(listed), v * outputs);
    leafList.push(listed);
  });
  return { tree: t, leaves: leafList };
}

import { PipelineError } from '../errors.js';
import type {
  ElementKind,
  Node,
  Operator,
  OperatorKind,
  OperatorOf,
  Pipeline,
  Tree,
  ValueInfo,
} from './types.js';

/** What each value of a validated pipeline holds: its kind and column count. */
export type ValueTable = Map<string, ValueInfo>;

/** The result of {@link validatePipeline}: the pipeline and every value it defines. */
export interface ValidPipeline {
  pipeline: Pipeline;
  values: ValueTable;
}

type Check<K extends OperatorKind> = (
  op: OperatorOf<K>,
  inputs: ValueInfo[],
  fail: (why: string) => never,
) => {
  kind: ElementKind;
  columns: number;
}[];

const finite = (xs: readonly number[]) => xs.every(Number.isFinite);

/** Requires `n` inputs, all numeric. */
function numeric(inputs: ValueInfo[], n: number, fail: (why: string) => never): ValueInfo[] {
  if (inputs.length !== n) fail(`takes ${n} input${n === 1 ? '' : 's'}, got ${inputs.length}`);
  for (const v of inputs)
    if (v.kind === 'string') fail(`input '${v.name}' holds strings; this operator takes numbers`);
  return inputs;
}

/** A per-column parameter: one value for every column, or one per column. */
function perColumn(
  name: string,
  values: readonly number[],
  columns: number,
  fail: (why: string) => never,
): void {
  if (values.length !== 1 && values.length !== columns)
    fail(`${name} must have 1 or ${columns} values (one per input column), got ${values.length}`);
}

function checkTree(t: Tree, i: number, inputs: number, outputs: number, fail: (why: string) => never): void {
  const n = t.feature.length;
  const where = `tree ${i}`;
  if (n === 0) fail(`${where} has no nodes`);
  for (const [name, len] of [
    ['threshold', t.threshold.length],
    ['rule', t.rule.length],
    ['trueChild', t.trueChild.length],
    ['falseChild', t.falseChild.length],
    ['missingTrue', t.missingTrue.length],
  ] as const) {
    if (len !== n) fail(`${where}: ${name} has ${len} entries for ${n} nodes`);
  }
  if (t.leafValues.length !== n * outputs)
    fail(`${where}: leafValues has ${t.leafValues.length} entries, expected ${n} nodes × ${outputs} outputs`);
  // Every node is reached exactly once from the root (a tree, no cycles, no orphans).
  const seen = new Uint8Array(n);
  const stack = [0];
  let reached = 0;
  while (stack.length) {
    const v = stack.pop()!;
    if (seen[v]) fail(`${where}: node ${v} is reached twice (not a tree)`);
    seen[v] = 1;
    reached++;
    const f = t.feature[v];
    if (f < 0) {
      if (t.trueChild[v] !== -1 || t.falseChild[v] !== -1) fail(`${where}: leaf ${v} has children`);
      for (let o = 0; o < outputs; o++) {
        if (!Number.isFinite(t.leafValues[v * outputs + o]))
          fail(`${where}: leaf ${v} has a non-finite value`);
      }
      continue;
    }
    if (f >= inputs) fail(`${where}: node ${v} tests feature ${f}, the input has ${inputs} columns`);
    if (Number.isNaN(t.threshold[v])) fail(`${where}: node ${v} has a NaN threshold`);
    for (const c of [t.trueChild[v], t.falseChild[v]]) {
      if (!(c > 0 && c < n)) fail(`${where}: node ${v} has child ${c}, outside 1..${n - 1}`);
      stack.push(c);
    }
  }
  if (reached !== n) fail(`${where}: ${n - reached} of ${n} nodes are not reachable from the root`);
}

const CHECKS: { [K in OperatorKind]: Check<K> } = {
  scaler: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    perColumn('offset', op.offset, x.columns, fail);
    perColumn('scale', op.scale, x.columns, fail);
    if (!finite(op.offset) || !finite(op.scale)) fail('offset and scale must be finite');
    return [{ kind: 'float', columns: x.columns }];
  },
  normalizer: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    if (!['l1', 'l2', 'max', 'largest'].includes(op.norm))
      fail(`norm must be 'l1', 'l2', 'max' or 'largest', got '${op.norm}'`);
    return [{ kind: 'float', columns: x.columns }];
  },
  imputer: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    perColumn('fill', op.fill, x.columns, fail);
    return [{ kind: 'float', columns: x.columns }];
  },
  binarizer: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    if (Number.isNaN(op.threshold)) fail('threshold must be a number, got NaN');
    return [{ kind: 'float', columns: x.columns }];
  },
  oneHot: (op, ins, fail) => {
    if (ins.length !== 1) fail(`takes 1 input, got ${ins.length}`);
    const [x] = ins;
    if (op.categories.length !== x.columns)
      fail(`has categories for ${op.categories.length} columns, the input has ${x.columns}`);
    op.categories.forEach((cats, c) => {
      if (cats.length === 0) fail(`column ${c} has no categories`);
      if (new Set<unknown>(cats).size !== cats.length) fail(`column ${c} lists a category twice`);
      const strings = cats.every((v) => typeof v === 'string');
      if (strings !== (x.kind === 'string'))
        fail(`column ${c}'s categories are ${strings ? 'strings' : 'numbers'}, the input holds ${x.kind}s`);
    });
    return [{ kind: 'float', columns: op.categories.reduce((s, c) => s + c.length, 0) }];
  },
  labelEncoder: (op, ins, fail) => {
    if (ins.length !== 1) fail(`takes 1 input, got ${ins.length}`);
    if (op.keys.length !== op.values.length)
      fail(`has ${op.keys.length} keys and ${op.values.length} values; they pair one to one`);
    // No keys: every value maps to the fallback, whatever the input holds.
    const keyKind =
      op.keys.length === 0
        ? ins[0].kind === 'string'
          ? 'string'
          : 'number'
        : op.keys.every((k) => typeof k === 'string')
          ? 'string'
          : 'number';
    if ((keyKind === 'string') !== (ins[0].kind === 'string'))
      fail(`keys are ${keyKind}s, the input holds ${ins[0].kind}s`);
    const outString = typeof op.fallback === 'string';
    if (!op.values.every((v) => (typeof v === 'string') === outString))
      fail('values and the fallback must all be strings or all numbers');
    return [{ kind: outString ? 'string' : 'float', columns: ins[0].columns }];
  },
  select: (op, ins, fail) => {
    if (ins.length !== 1) fail(`takes 1 input, got ${ins.length}`);
    const [x] = ins;
    for (const i of op.indices) {
      if (!(Number.isInteger(i) && i >= 0 && i < x.columns))
        fail(`index ${i} is outside 0..${x.columns - 1}`);
    }
    return [{ kind: x.kind, columns: op.indices.length }];
  },
  concat: (_op, ins, fail) => {
    if (ins.length === 0) fail('takes at least one input');
    const kinds = new Set(ins.map((v) => (v.kind === 'string' ? 'string' : 'number')));
    if (kinds.size > 1) fail('cannot put strings and numbers side by side');
    return [
      {
        kind: ins[0].kind === 'string' ? 'string' : 'float',
        columns: ins.reduce((s, v) => s + v.columns, 0),
      },
    ];
  },
  linear: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    if (op.weights.length === 0) fail('has no output rows');
    op.weights.forEach((row, o) => {
      if (row.length !== x.columns)
        fail(`weight row ${o} has ${row.length} values, the input has ${x.columns} columns`);
      if (!finite(row)) fail(`weight row ${o} is not finite`);
    });
    if (op.bias.length !== op.weights.length)
      fail(`bias has ${op.bias.length} values for ${op.weights.length} outputs`);
    if (!finite(op.bias)) fail('bias is not finite');
    return [{ kind: 'float', columns: op.weights.length }];
  },
  activation: (_op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    return [{ kind: 'float', columns: x.columns }];
  },
  constant: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    perColumn('value', op.value, x.columns, fail);
    return [{ kind: 'float', columns: x.columns }];
  },
  svm: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    if (op.supportVectors.length === 0) fail('has no support vectors');
    op.supportVectors.forEach((sv, j) => {
      if (sv.length !== x.columns)
        fail(`support vector ${j} has ${sv.length} values, the input has ${x.columns}`);
    });
    for (const row of op.coefficients) {
      if (row.length !== op.supportVectors.length)
        fail(`a coefficient row has ${row.length} values for ${op.supportVectors.length} support vectors`);
    }
    if (op.vectorsPerClass) {
      const total = op.vectorsPerClass.reduce((s, v) => s + v, 0);
      if (total !== op.supportVectors.length)
        fail(`vectorsPerClass sums to ${total}, there are ${op.supportVectors.length} support vectors`);
      const k = op.vectorsPerClass.length;
      if (k < 2) fail(`a classifier needs at least 2 classes, vectorsPerClass has ${k}`);
      if (op.coefficients.length !== k - 1)
        fail(`coefficients must have ${k - 1} rows (classes − 1), got ${op.coefficients.length}`);
      const pairs = (k * (k - 1)) / 2;
      if (op.rho.length !== pairs)
        fail(`rho must hold one value per pair of ${k} classes (${pairs}), got ${op.rho.length}`);
      const outs = [
        { kind: 'float' as const, columns: k },
        { kind: 'float' as const, columns: pairs },
      ];
      if (!op.platt) return outs;
      if (op.platt.a.length !== pairs || op.platt.b.length !== pairs)
        fail(
          `platt needs ${pairs} values of a and of b (one per pair), got ${op.platt.a.length} and ${op.platt.b.length}`,
        );
      return [...outs, { kind: 'float', columns: k }];
    }
    if (op.platt) fail('platt scaling needs a classifier (vectorsPerClass)');
    if (op.coefficients.length !== op.rho.length)
      fail(
        `a regressor has one coefficient row per rho value, got ${op.coefficients.length} rows and ${op.rho.length} values`,
      );
    return [{ kind: 'float', columns: op.rho.length }];
  },
  trees: (op, ins, fail) => {
    const [x] = numeric(ins, 1, fail);
    if (op.trees.length === 0) fail('has no trees');
    if (!(Number.isInteger(op.outputs) && op.outputs >= 1))
      fail(`outputs must be a positive integer, got ${op.outputs}`);
    if (op.base.length !== op.outputs) fail(`base has ${op.base.length} values for ${op.outputs} outputs`);
    op.trees.forEach((t, i) => {
      checkTree(t, i, x.columns, op.outputs, fail);
    });
    return [{ kind: 'float', columns: op.outputs }];
  },
  classifier: (op, ins, fail) => {
    if (ins.length !== 1 && ins.length !== 2)
      fail(`takes 1 or 2 inputs (scores, reported scores), got ${ins.length}`);
    const [x, reported = x] = numeric(ins, ins.length, fail);
    if (op.labels.length < 2) fail(`needs at least 2 class labels, got ${op.labels.length}`);
    if (!['complement', 'negate', 'none'].includes(op.binary))
      fail(`binary must be 'complement', 'negate' or 'none', got '${op.binary}'`);
    if (op.threshold !== undefined && !Number.isFinite(op.threshold))
      fail(`threshold must be a finite number, got ${op.threshold}`);
    const threshold = op.threshold !== undefined || (x.columns === 1 && op.binary !== 'none');
    if (threshold && (x.columns !== 1 || op.labels.length !== 2))
      fail(
        `a threshold decides between 2 labels from a single score column, got ${op.labels.length} labels and ${x.columns} columns`,
      );
    if (!threshold && x.columns !== op.labels.length)
      fail(`has ${op.labels.length} labels for ${x.columns} score columns`);
    const expand = reported.columns === 1 && op.binary !== 'none';
    return [
      { kind: op.labels.every((l) => typeof l === 'string') ? 'string' : 'int', columns: 1 },
      { kind: 'float', columns: expand ? 2 : reported.columns },
    ];
  },
};

/**
 * Checks a pipeline before anything is built from it: names defined once and before use, every
 * operator's parameters consistent with its inputs' column counts and kinds, trees well formed.
 * Returns every value's kind and column count; throws a {@link PipelineError} naming the node.
 */
export function validatePipeline(pipeline: Pipeline): ValidPipeline {
  const values: ValueTable = new Map();
  for (const v of pipeline.inputs) {
    if (values.has(v.name)) throw new PipelineError(`input '${v.name}' is declared twice`, 'inputs');
    if (!(Number.isInteger(v.columns) && v.columns >= 1))
      throw new PipelineError(`input '${v.name}' must have at least one column, got ${v.columns}`, 'inputs');
    if (v.columnNames && v.columnNames.length !== v.columns)
      throw new PipelineError(
        `input '${v.name}' names ${v.columnNames.length} columns, it has ${v.columns}`,
        'inputs',
      );
    if (v.refusesNaN && v.refusesNaN.length !== v.columns)
      throw new PipelineError(
        `input '${v.name}' says for ${v.refusesNaN.length} columns whether NaN is refused, it has ${v.columns}`,
        'inputs',
      );
    values.set(v.name, v);
  }
  pipeline.nodes.forEach((node: Node, i) => {
    const path = `nodes[${i}] (${node.name}: ${node.op.kind})`;
    const fail = (why: string): never => {
      throw new PipelineError(why, path);
    };
    const check = (CHECKS as Record<string, Check<OperatorKind>>)[node.op.kind];
    if (!check)
      fail(`unknown operator kind '${(node.op as Operator).kind}'; known: ${Object.keys(CHECKS).join(', ')}`);
    const ins = node.inputs.map(
      (name) => values.get(name) ?? fail(`reads '${name}', which no input or earlier node defines`),
    );
    const outs = check(node.op as never, ins, fail);
    if (outs.length !== node.outputs.length)
      fail(`writes ${node.outputs.length} values, the operator gives ${outs.length}`);
    node.outputs.forEach((name, k) => {
      if (values.has(name)) fail(`writes '${name}', which is already defined`);
      values.set(name, { name, ...outs[k] });
    });
  });
  for (const name of pipeline.outputs) {
    if (!values.has(name)) throw new PipelineError(`output '${name}' is not defined by any node`, 'outputs');
  }
  if (pipeline.outputs.length === 0) throw new PipelineError('the pipeline has no outputs', 'outputs');
  return { pipeline, values };
}

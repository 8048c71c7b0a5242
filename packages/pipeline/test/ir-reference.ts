/**
 * The parse tests' oracle: a pipeline evaluated row by row in float64, straight from the
 * definitions in src/ir/types.ts, with no compiler involved. A parser that picks the wrong split
 * rule, leaf value, base score, link or class order disagrees here with the source runtime.
 * Trees and links are test/reference.ts's (the compiler tests' own float64 evaluator): the float64
 * row value (exactly a float32 in every fixture) against the float64 threshold, which is what every
 * source runtime's float32 comparison amounts to.
 */

import { expect } from 'vitest';
import { coupleProbabilities, pairProbability } from '../src/compile/ops/platt.js';
import type { Node, Operator, Pipeline, PostTransform, SvmOp } from '../src/index.js';
import { expectClose } from './helpers.js';
import { leafValues, link } from './reference.js';

type Row = number[];
type Value = Row[] | (number | string)[];

/** How sums are taken: in float64, or in float32 in source order as XGBoost does (see {@link evaluate}). */
interface Options {
  float32Sums?: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const ACTIVATIONS = {
  relu: (v: number) => Math.max(0, v),
  sigmoid,
  tanh: Math.tanh,
  identity: (v: number) => v,
};

/** The links of test/reference.ts, and 'exp'. */
const post = (row: Row, p: PostTransform): Row => (p === 'exp' ? row.map(Math.exp) : link(row, p));

function kernel(op: SvmOp, x: Row, sv: Row): number {
  const dot = () => x.reduce((s, v, i) => s + v * sv[i], 0);
  switch (op.kernel) {
    case 'linear':
      return dot();
    case 'rbf':
      return Math.exp(-op.gamma * x.reduce((s, v, i) => s + (v - sv[i]) ** 2, 0));
    case 'poly':
      return (op.gamma * dot() + op.coef0) ** op.degree;
    case 'sigmoid':
      return Math.tanh(op.gamma * dot() + op.coef0);
  }
}

/** Σ terms after `start`, left to right, in float64 or rounding every step to float32. */
function sum(start: number, terms: number[], float32: boolean): number {
  if (!float32) return terms.reduce((s, t) => s + t, start);
  let acc = Math.fround(start);
  for (const t of terms) acc = Math.fround(acc + Math.fround(t));
  return acc;
}

function rowsOp(op: Operator, x: Row, options: Options): Row {
  const f32 = options.float32Sums ?? false;
  switch (op.kind) {
    case 'scaler':
      return x.map(
        (v, c) => (v - op.offset[op.offset.length === 1 ? 0 : c]) * op.scale[op.scale.length === 1 ? 0 : c],
      );
    case 'normalizer': {
      const n =
        op.norm === 'l1'
          ? x.reduce((s, v) => s + Math.abs(v), 0)
          : op.norm === 'l2'
            ? Math.sqrt(x.reduce((s, v) => s + v * v, 0))
            : Math.max(...x.map(Math.abs));
      return x.map((v) => v / (n === 0 ? 1 : n));
    }
    case 'imputer':
      return x.map((v, c) =>
        v === op.missing || (Number.isNaN(op.missing) && Number.isNaN(v))
          ? op.fill[op.fill.length === 1 ? 0 : c]
          : v,
      );
    case 'binarizer':
      return x.map((v) => (v > op.threshold ? 1 : 0));
    case 'oneHot':
      return op.categories.flatMap((cats, c) => {
        const k = (cats as unknown[]).indexOf(x[c]);
        if (k < 0 && op.unknown === 'error') throw new Error(`unknown category ${x[c]}`);
        return cats.map((_, j) => (j === k ? 1 : 0));
      });
    case 'select':
      return op.indices.map((i) => x[i]);
    case 'linear':
      return post(
        op.weights.map((w, o) =>
          sum(
            op.bias[o],
            w.map((wi, i) => wi * x[i]),
            f32,
          ),
        ),
        op.post,
      );
    case 'activation':
      if (op.fn === 'softmax') return link(x, 'softmax');
      return x.map((v) => ACTIVATIONS[op.fn as keyof typeof ACTIVATIONS](v));
    case 'constant':
      return x.map((v, c) => {
        const k = op.value[op.value.length === 1 ? 0 : c];
        return { add: v + k, sub: v - k, mul: v * k, div: v / k }[op.fn];
      });
    case 'svm': {
      const k = op.supportVectors.map((sv) => kernel(op, x, sv));
      return post(
        op.coefficients.map((c, o) => c.reduce((s, ci, j) => s + ci * k[j], op.rho[o])),
        op.post,
      );
    }
    case 'trees': {
      const leaves = leafValues(op, x);
      return post(
        Array.from({ length: op.outputs }, (_, o) => {
          const values = leaves.map((l) => l[o]);
          if (op.aggregate === 'min') return Math.min(...values) + op.base[o];
          if (op.aggregate === 'max') return Math.max(...values) + op.base[o];
          if (op.aggregate === 'average') return sum(0, values, f32) / values.length + op.base[o];
          return sum(op.base[o], values, f32);
        }),
        op.post,
      );
    }
    default:
      throw new Error(`${op.kind} is applied elsewhere`);
  }
}

/**
 * The SVM classifier's values for one row (votes, pair decisions, Platt probabilities), as the IR
 * defines them; the pairs' probabilities are coupled by the compiler's own float32 transcription
 * of libsvm's method (src/compile/ops/platt.ts): float32 there, from float64 decisions here.
 */
function oneVsOne(op: SvmOp, x: Row): Row[] {
  const counts = op.vectorsPerClass!;
  const k = counts.length;
  const starts = counts.map((_, c) => counts.slice(0, c).reduce((s, n) => s + n, 0));
  const kx = op.supportVectors.map((sv) => kernel(op, x, sv));
  const part = (c: number, row: number) =>
    kx
      .slice(starts[c], starts[c] + counts[c])
      .reduce((s, v, j) => s + op.coefficients[row][starts[c] + j] * v, 0);
  const votes = new Array<number>(k).fill(0);
  const decisions: number[] = [];
  const r = new Float32Array(k * k);
  for (let i = 0, p = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++, p++) {
      const d = part(i, j - 1) + part(j, i) + op.rho[p];
      decisions.push(d);
      votes[d > 0 ? i : j]++;
      if (op.platt) {
        r[i * k + j] = pairProbability(d, op.platt.a[p], op.platt.b[p]);
        r[j * k + i] = 1 - r[i * k + j];
      }
    }
  }
  return op.platt ? [votes, decisions, [...coupleProbabilities(k, r)]] : [votes, decisions];
}

/** Accumulates one row's values into per-output row lists. */
const columnsOf = (acc: Row[][], outs: Row[]): Row[][] => {
  outs.forEach((v, i) => {
    acc[i] = [...(acc[i] ?? []), v];
  });
  return acc;
};

function apply(node: Node, ins: Value[], options: Options): Value[] {
  const op = node.op;
  if (op.kind === 'concat') return [(ins[0] as Row[]).map((_, r) => ins.flatMap((v) => (v as Row[])[r]))];
  const x = ins[0] as Row[];
  if (op.kind === 'svm' && op.vectorsPerClass) return x.map((row) => oneVsOne(op, row)).reduce(columnsOf, []);
  if (op.kind === 'classifier') {
    // The label from the first input: a threshold on a single column, else the first largest; the
    // reported scores (the second input, or the first) expanded by `binary`, then `post`.
    const single = x[0].length === 1 && (op.threshold !== undefined || op.binary !== 'none');
    const threshold = op.threshold ?? (op.binary === 'negate' ? 0 : 0.5);
    const labels = x.map((row) =>
      single ? op.labels[row[0] > threshold ? 1 : 0] : op.labels[row.indexOf(Math.max(...row))],
    );
    const reported = (ins[1] ?? ins[0]) as Row[];
    const expand = (row: Row) =>
      row.length !== 1 || op.binary === 'none'
        ? row
        : op.binary === 'negate'
          ? [-row[0], row[0]]
          : [1 - row[0], row[0]];
    return [labels, reported.map((row) => post(expand(row), op.post ?? 'none'))];
  }
  return [x.map((row) => rowsOp(op, row, options))];
}

/**
 * Every output of `pipeline` for `rows` of its single input. With `float32Sums`, linear and tree
 * sums start from the float32 bias or base and add each float32 term in order, rounding to float32
 * every step: XGBoost's own arithmetic, so that margins match it bit for bit.
 */
export function evaluate(pipeline: Pipeline, rows: Row[], options: Options = {}): Record<string, Value> {
  const values = new Map<string, Value>([[pipeline.inputs[0].name, rows]]);
  for (const node of pipeline.nodes) {
    const outs = apply(
      node,
      node.inputs.map((n) => values.get(n)!),
      options,
    );
    node.outputs.forEach((name, i) => {
      values.set(name, outs[i]);
    });
  }
  return Object.fromEntries(pipeline.outputs.map((name) => [name, values.get(name)!]));
}

/** Asserts that evaluated outputs equal `want`: labels exactly, values within rtol/atol. */
export function expectOutputs(
  got: Record<string, Value>,
  want: Record<string, (number | string)[] | number[][]>,
  rtol: number,
  atol: number,
  what: string,
): void {
  for (const [name, values] of Object.entries(want)) {
    if (name === 'label') expect(got.label, `${what} labels`).toEqual(values);
    else
      expectClose((got[name] as Row[]).flat(), (values as number[][]).flat(), rtol, atol, `${what} ${name}`);
  }
}

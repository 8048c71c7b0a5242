// Mutated ONNX-ML files: each parses into a pipeline that validates, or is refused with a
// PipelineError, in bounded time. Mutations: bit flips, truncations, and edits of the decoded
// protobuf (attribute types and values, repeated-attribute lengths, dangling and cyclic node inputs,
// removed or duplicated nodes and initializers, operator types, opsets, input shapes).
import type onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { PipelineError, parseOnnx, validatePipeline } from '../src/index.js';
import { rng } from './helpers.js';
import { decodeModel, encodeModel } from './onnx-build.js';
import { manifest, modelBytes } from './onnx-oracle.js';

/** Small fixtures that between them hold every operator group and graph shape the parser reads. */
const BASES = [
  'iris_columns_onehot_rf',
  'iris_ordinal_tree_names',
  'iris_labelencoder_v1_tree',
  'breast_cancer_mlp',
  'iris_svc_rbf_proba',
  'breast_cancer_tree_d3',
  'diabetes_rf2_min',
  'wine_scaler_pca_whiten_logreg',
  'breast_cancer_scaler_linearsvc',
  'digits_scaler_pca_gemm_logreg',
  'diabetes_minmax_svr_rbf',
  'iris_hgb_missing',
].map((name) => modelBytes(manifest.models.find((m) => m.name === name)!));

type Model = ReturnType<typeof decodeModel>;
type Graph = onnxProto.onnx.GraphProto;
type Mutation = (bytes: Uint8Array, pick: (n: number) => number) => Uint8Array;

/** Applies `edit` to the decoded model and encodes it again. */
const edited =
  (edit: (m: Model, pick: (n: number) => number) => void): Mutation =>
  (bytes, pick) => {
    const m = decodeModel(bytes);
    edit(m, pick);
    return encodeModel(m);
  };

const graphOf = (m: Model) => m.graph as Graph;
const nodesOf = (m: Model) => graphOf(m).node;
const anyNode = (m: Model, pick: (n: number) => number) => nodesOf(m)[pick(nodesOf(m).length)];
function anyAttribute(m: Model, pick: (n: number) => number) {
  const withAttributes = nodesOf(m).filter((n) => n.attribute!.length > 0);
  const node = withAttributes[pick(withAttributes.length)];
  return node.attribute![pick(node.attribute!.length)];
}

/** Node i and every node that reads, directly or not, what it writes. */
function dependents(m: Model, i: number): number[] {
  const nodes = nodesOf(m);
  const found = new Set([i]);
  for (let grew = true; grew; ) {
    grew = false;
    nodes.forEach((n, k) => {
      if (found.has(k)) return;
      if (n.input!.some((x) => [...found].some((f) => nodes[f].output!.includes(x)))) {
        found.add(k);
        grew = true;
      }
    });
  }
  return [...found];
}

const ODD_INTS = [-1, 0, 1, 2, 3, 7, 64, 2 ** 31, -(2 ** 40), 1e15];
const ODD_FLOATS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e30, -1];
const ODD_STRINGS = [
  'LEAF',
  'BRANCH_NEQ',
  'BRANCH_XX',
  'MAX',
  'PROBIT',
  'SOFTMAX_ZERO',
  'RBF',
  'POLY',
  '',
  'ß',
];
const OPS = ['Relu', 'Softmax', 'Scaler', 'TreeEnsembleRegressor', 'LinearClassifier', 'Concat', 'Erf', 'If'];

const MUTATIONS: Record<string, Mutation> = {
  'bit flip': (bytes, pick) => {
    const out = bytes.slice();
    for (let k = 1 + pick(4); k > 0; k--) out[pick(out.length)] ^= 1 << pick(8);
    return out;
  },
  truncation: (bytes, pick) => bytes.slice(0, 1 + pick(bytes.length - 1)),
  'attribute type': edited((m, pick) => {
    const a = anyAttribute(m, pick);
    a.type = 1 + ((a.type! + pick(7)) % 8); // another of FLOAT … STRINGS, the payload unchanged
  }),
  'attribute length': edited((m, pick) => {
    const a = anyAttribute(m, pick);
    const list = [a.floats, a.ints, a.strings].find((l) => l && l.length > 0) as unknown[] | undefined;
    if (!list) return;
    if (pick(2) === 0) list.splice(pick(list.length), 1);
    else list.splice(pick(list.length), 0, list[pick(list.length)]);
  }),
  'attribute value': edited((m, pick) => {
    const a = anyAttribute(m, pick);
    const [ints, floats, strings] = [a.ints!, a.floats!, a.strings!];
    if (ints.length) ints[pick(ints.length)] = ODD_INTS[pick(ODD_INTS.length)];
    else if (floats.length) floats[pick(floats.length)] = ODD_FLOATS[pick(ODD_FLOATS.length)];
    else if (strings.length)
      strings[pick(strings.length)] = new TextEncoder().encode(ODD_STRINGS[pick(ODD_STRINGS.length)]);
    else if (a.type === 2) a.i = ODD_INTS[pick(ODD_INTS.length)];
    else if (a.type === 1) a.f = ODD_FLOATS[pick(ODD_FLOATS.length)];
    else a.s = new TextEncoder().encode(ODD_STRINGS[pick(ODD_STRINGS.length)]);
  }),
  'dangling input': edited((m, pick) => {
    const n = anyNode(m, pick);
    n.input![pick(n.input!.length)] = 'nowhere';
  }),
  'cyclic input': edited((m, pick) => {
    // A node reads the output of itself or of a node that depends on it.
    const nodes = nodesOf(m);
    const i = pick(nodes.length);
    const later = dependents(m, i);
    const j = later[pick(later.length)];
    nodes[i].input![pick(nodes[i].input!.length)] = nodes[j].output![0];
  }),
  'graph edit': edited((m, pick) => {
    const g = graphOf(m);
    const nodes = nodesOf(m);
    switch (pick(6)) {
      case 0:
        nodes.splice(pick(nodes.length), 1);
        break;
      case 1:
        nodes.splice(pick(nodes.length), 0, nodes[pick(nodes.length)]);
        break;
      case 2:
        anyNode(m, pick).opType = OPS[pick(OPS.length)];
        break;
      case 3:
        if (g.initializer.length) g.initializer.splice(pick(g.initializer.length), 1);
        break;
      case 4:
        if (g.initializer.length) g.initializer[pick(g.initializer.length)].dims!.push(1 + pick(3));
        break;
      default: {
        const dims = g.input[pick(g.input.length)].type!.tensorType!.shape!.dim!;
        dims[dims.length - 1] = { dimValue: pick(6) };
      }
    }
  }),
  opset: edited((m, pick) => {
    m.opsetImport[pick(m.opsetImport.length)].version = pick(6);
  }),
};

describe('ONNX-ML fuzz', () => {
  it('3,000 mutated files each parse into a valid pipeline or throw a PipelineError, quickly', () => {
    const pick = (
      (r) => (n: number) =>
        Math.floor(r() * n)
    )(rng(2024));
    const kinds = Object.keys(MUTATIONS);
    const tally: Record<string, { parsed: number; refused: number }> = Object.fromEntries(
      kinds.map((k) => [k, { parsed: 0, refused: 0 }]),
    );
    let slowest = 0;
    const started = performance.now();
    for (let trial = 0; trial < 3000; trial++) {
      const kind = kinds[trial % kinds.length];
      const bytes = MUTATIONS[kind](BASES[pick(BASES.length)], pick);
      const t0 = performance.now();
      try {
        validatePipeline(parseOnnx(bytes));
        tally[kind].parsed++;
      } catch (e) {
        if (!(e instanceof PipelineError))
          throw new Error(`trial ${trial} (${kind}): ${(e as Error).name}: ${(e as Error).message}`);
        expect(e.message.length, `trial ${trial}`).toBeGreaterThan(10);
        tally[kind].refused++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log('ONNX fuzz outcomes', tally, `slowest ${slowest.toFixed(1)} ms`);
    // Each kind of damage is caught, and damage the format tolerates (a flipped bit in a weight, a
    // changed threshold, a node's input pointing elsewhere) still parses.
    for (const kind of kinds) expect(tally[kind].refused, kind).toBeGreaterThan(20);
    for (const kind of ['bit flip', 'attribute value', 'attribute length', 'graph edit', 'opset'])
      expect(tally[kind].parsed, kind).toBeGreaterThan(20);
    // Wrong attribute types, dangling and cyclic inputs are always refused (every node of these
    // fixtures feeds an output).
    for (const kind of ['attribute type', 'dangling input', 'cyclic input'])
      expect(tally[kind].parsed, kind).toBe(0);
    expect(slowest).toBeLessThan(1000);
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});

// Rows/s of scikit-learn's models (fitted by sklearn_peer.py throughput) on the same sampled rows:
// Tessera (every backend, every tree strategy) on the ONNX-ML file, onnxruntime-node on the same
// file, and scikit-learn's predict / predict_proba as Python timed them. Every output is checked
// against scikit-learn's before it is timed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parseOnnx } from '@tessera/pipeline';
import { ortClassifier } from './ort-peer.mjs';
import { expectAgree, series } from './series.mjs';

export const MODELS = ['random_forest', 'gradient_boosting', 'linear'];
export const STRATEGIES = ['gemm', 'tree_traversal', 'perfect_tree_traversal'];
/** GEMM's largest intermediate tensors per call are kept under this many bytes. */
const GEMM_BYTES = 4e9;

/** Trees, and the most inner nodes and leaves of one, of a pipeline's tree ensembles. */
function ensembleShape(pipeline) {
  const trees = pipeline.nodes.flatMap((n) => (n.op.kind === 'trees' ? n.op.trees : []));
  const count = (t, leaf) => t.feature.filter((f) => f < 0 === leaf).length;
  return {
    trees: trees.length,
    inner: Math.max(0, ...trees.map((t) => count(t, false))),
    leaves: Math.max(0, ...trees.map((t) => count(t, true))),
  };
}

/**
 * Why GEMM should not run `b` rows: its node tests [b, trees·inner] and path matches
 * [trees, b, leaves] (float32, each made a few times over) past GEMM_BYTES. Undefined otherwise.
 */
export function gemmTooBig(pipeline, b) {
  const { trees, inner, leaves } = ensembleShape(pipeline);
  const bytes = 3 * 4 * b * trees * (inner + leaves);
  return bytes > GEMM_BYTES
    ? `GEMM's node-test and path tensors would hold about ${(bytes / 1e9).toFixed(0)} GB`
    : undefined;
}

/** { label, probabilities } of a compiled classifier's outputs (label first, then probabilities). */
export function classifierOutputs(program) {
  const [label, probabilities] = program.pipeline.outputs;
  return async (x) => {
    const out = await program.predict(x);
    return { label: out[label], probabilities: out[probabilities] };
  };
}

/** Tessera on every backend and (for trees) strategy: `check` each batch, then time it. */
export async function timeTessera({
  pipeline,
  model,
  backends,
  rows,
  columns,
  batches,
  check,
  record,
  notes,
}) {
  const trees = pipeline.nodes.some((n) => n.op.kind === 'trees');
  if (trees) {
    const auto = compile(pipeline, { backend: backends[0][1] });
    notes.push(
      `${model}: 'auto' (Hummingbird's choice by depth) compiles ${Object.values(auto.strategies).join(', ')}`,
    );
    auto.dispose();
  }
  for (const [impl, backend] of backends) {
    for (const strategy of trees ? STRATEGIES : [undefined]) {
      const program = compile(pipeline, { backend, strategy });
      const name = strategy ? `${impl} ${strategy}` : impl;
      await series({
        model,
        impl: name,
        run: classifierOutputs(program),
        check: (out, b) => check(out, b, name),
        rows,
        columns,
        batches,
        record,
        notes,
        tooBig: strategy === 'gemm' ? (b) => gemmTooBig(pipeline, b) : undefined,
      });
      program.dispose();
    }
  }
}

/**
 * The scikit-learn models in `dir` on `rows` ([n, columns] float32, the rows Python scored and
 * timed): Tessera and onnxruntime checked against scikit-learn's outputs, then timed.
 */
export async function throughput({ dir, rows, columns, batches, backends, record, notes }) {
  const manifest = JSON.parse(readFileSync(join(dir, 'throughput.json'), 'utf8'));
  for (const model of MODELS) {
    const { classes, timings } = manifest.models[model];
    const k = classes.length;
    const file = (ext) => readFileSync(join(dir, `${model}.${ext}`));
    const bytes = file('onnx');
    const labels = new Int32Array(file('label.i32').buffer.slice(0));
    const proba = new Float64Array(file('proba.f64').buffer.slice(0));
    const sklearn = (b) => ({ label: labels.subarray(0, b), probabilities: proba.subarray(0, b * k) });
    const check = (out, b, impl) =>
      expectAgree(out, sklearn(b), b, k, `${impl} on ${model}, ${b} rows, vs scikit-learn`);
    const pipeline = parseOnnx(new Uint8Array(bytes));
    // Tessera's CPU outputs at each size, for onnxruntime to be checked against them too.
    const tessera = new Map();
    await timeTessera({
      pipeline,
      model,
      backends,
      rows,
      columns,
      batches,
      check: (out, b, impl) => {
        check(out, b, impl);
        if (impl.startsWith('tessera-cpu')) tessera.set(b, out);
      },
      record,
      notes,
    });
    const ort = await ortClassifier(bytes, columns);
    await series({
      model,
      impl: 'onnxruntime-cpu',
      run: ort.run,
      check: (out, b) => {
        check(out, b, 'onnxruntime-cpu');
        const ours = tessera.get(b);
        if (ours) expectAgree(out, ours, b, k, `onnxruntime-cpu on ${model}, ${b} rows, vs tessera-cpu`);
      },
      rows,
      columns,
      batches,
      record,
      notes,
    });
    await ort.release();
    for (const [b, t] of Object.entries(timings)) {
      for (const [method, ms] of Object.entries(t)) {
        record(`${model} batch ${b}`, `scikit-learn ${method}`, 'ms', ms, 'ms');
        record(`${model} batch ${b}`, `scikit-learn ${method}`, 'rows/s', (Number(b) / ms) * 1000, 'rows/s');
      }
    }
  }
}

// ONNX-ML models (the files scikit-learn users export with skl2onnx) → the typed intermediate pipeline.
import { PipelineError } from '../../errors.js';
import type { Pipeline } from '../../ir/types.js';
import { validatePipeline } from '../../ir/validate.js';
import type { OnnxOperator } from './context.js';
import { supportedList, walkGraph } from './graph.js';
import { LINEAR_OPERATORS } from './linear.js';
import { PREPROCESSING_OPERATORS } from './preprocess.js';
import { readModel, toInt } from './proto.js';
import { STANDARD_OPERATORS } from './standard.js';
import { SVM_OPERATORS } from './svm.js';
import { TREE_OPERATORS } from './trees.js';

const OPERATORS: OnnxOperator[] = [
  ...PREPROCESSING_OPERATORS,
  ...LINEAR_OPERATORS,
  ...SVM_OPERATORS,
  ...TREE_OPERATORS,
  ...STANDARD_OPERATORS,
];

/** The ONNX operators {@link parseOnnx} reads, as `domain: Op1, Op2, …; domain: …`. */
export const SUPPORTED_ONNX_OPERATORS: string = supportedList(OPERATORS);

/**
 * Parses an ONNX-ML model (ai.onnx.ml tree ensembles, linear models, SVMs and preprocessing, plus the
 * standard operators an exported MLP or PCA uses) into a validated pipeline whose operators compute
 * what onnxruntime computes. Graph inputs become the pipeline's inputs, graph outputs its outputs (a
 * ZipMap's output is the probability matrix). Throws a {@link PipelineError} naming the node and
 * attribute for anything unsupported or malformed.
 */
export function parseOnnx(bytes: Uint8Array): Pipeline {
  const model = readModel(bytes);
  const graph = model.graph;
  if (!graph) throw new PipelineError('the model has no graph', 'graph');
  const opsets = new Map<string, number>();
  for (const [i, o] of (model.opsetImport ?? []).entries()) {
    const domain = !o.domain || o.domain === 'ai.onnx' ? 'ai.onnx' : o.domain;
    const version = toInt(o.version, `opset_import[${i}].version`);
    if (version < 1)
      throw new PipelineError(`opset version ${version} for domain '${domain}'`, `opset_import[${i}]`);
    opsets.set(domain, version);
  }
  const pipeline = walkGraph(graph, opsets, OPERATORS);
  validatePipeline(pipeline);
  return pipeline;
}

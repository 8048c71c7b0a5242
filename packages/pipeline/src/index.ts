export {
  CompiledPipeline,
  type CompileOptions,
  compile,
  type InputColumns,
  type PredictInput,
  type PredictOutput,
} from './compile/program.js';
export type { StrategyChoice, TreeStrategyName } from './compile/trees/strategy.js';
export { type ArrowTableLike, fromArrow } from './data/arrow.js';
export { predictBatches, type ScoredBatch } from './data/batches.js';
export { fromRows, type RowObject } from './data/rows.js';
export { PipelineError } from './errors.js';
export type * from './ir/types.js';
export { type ValidPipeline, type ValueTable, validatePipeline } from './ir/validate.js';
export { detectFormat, type ModelFormat, parseModel } from './parse/detect.js';
export { MLJS_MODELS, type ParseMljsOptions, parseMljs } from './parse/mljs/index.js';
export { parseOnnx, SUPPORTED_ONNX_OPERATORS } from './parse/onnx/index.js';
export { parseSklearn, SKLEARN_ESTIMATORS } from './parse/sklearn/index.js';
export { parseXgboost, XGBOOST_OBJECTIVES } from './parse/xgboost/index.js';
export { SoftTreeEnsemble } from './train/soft-trees.js';
export { type TrainableOptions, TrainablePipeline, toTrainable } from './train/trainable.js';

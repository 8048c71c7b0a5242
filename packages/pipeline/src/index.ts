export { PipelineError } from './errors.js';
export type * from './ir/types.js';
export { type ValidPipeline, type ValueTable, validatePipeline } from './ir/validate.js';
export { parseSklearn, SKLEARN_ESTIMATORS } from './parse/sklearn/index.js';
export { parseXgboost, XGBOOST_OBJECTIVES } from './parse/xgboost/index.js';

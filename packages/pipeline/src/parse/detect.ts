import { PipelineError } from '../errors.js';
import type { Pipeline } from '../ir/types.js';
import { readJsonDocument } from './json.js';
import { MLJS_MODELS, parseMljs } from './mljs/index.js';
import { parseOnnx } from './onnx/index.js';
import { parseSklearn, SKLEARN_FORMAT } from './sklearn/index.js';
import { parseXgboost } from './xgboost/index.js';

/** The model file formats {@link parseModel} reads. */
export type ModelFormat = 'onnx' | 'sklearn' | 'xgboost' | 'mljs';

/** The first byte that is not JSON whitespace, or −1. */
function firstByte(bytes: Uint8Array): number {
  for (const b of bytes)
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf)
      return b;
  return -1;
}

/**
 * Which format a model file is in, from its content: JSON (an object) is an XGBoost model when it
 * has a `learner`, a scikit-learn export when its `format` says so, an ml.js model when its `name`
 * is one of ml.js's; anything else that is not JSON is taken as an ONNX protobuf.
 */
export function detectFormat(file: Uint8Array | string): ModelFormat {
  const json = typeof file === 'string' || firstByte(file) === 0x7b; // '{'
  if (!json) return 'onnx';
  const doc = readJsonDocument(file, 'model file', true);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new PipelineError('the file is JSON but not an object: not a model file', 'parseModel');
  const o = doc as Record<string, unknown>;
  if ('learner' in o) return 'xgboost';
  if (o.format === SKLEARN_FORMAT) return 'sklearn';
  if (typeof o.name === 'string' && (MLJS_MODELS as readonly string[]).includes(o.name)) return 'mljs';
  throw new PipelineError(
    `the JSON file is none of the formats read here: an XGBoost model (with 'learner'), a scikit-learn export (format '${SKLEARN_FORMAT}') or an ml.js model (name one of ${MLJS_MODELS.join(', ')})`,
    'parseModel',
  );
}

/**
 * Reads a model file of any supported format (see {@link detectFormat}, or name it) into the
 * intermediate pipeline, validated: ONNX-ML protobuf, an XGBoost JSON model, a scikit-learn export
 * (python/export_sklearn.py) or an ml.js `toJSON()`.
 */
export function parseModel(file: Uint8Array | string, format: ModelFormat = detectFormat(file)): Pipeline {
  switch (format) {
    case 'onnx':
      if (typeof file === 'string')
        throw new PipelineError('an ONNX model is binary: pass its bytes', 'parseModel');
      return parseOnnx(file);
    case 'sklearn':
      return parseSklearn(file);
    case 'xgboost':
      return parseXgboost(file);
    case 'mljs':
      return parseMljs(file);
    default:
      throw new PipelineError(
        `format must be 'onnx', 'sklearn', 'xgboost' or 'mljs', got '${format}'`,
        'parseModel',
      );
  }
}

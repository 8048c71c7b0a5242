import type { Operator } from '../../ir/types.js';
import type { PipelineBuilder } from '../builder.js';
import type { JsonReader } from '../json.js';

/** What an estimator turned into: a transformed matrix, a regressor's predictions or a classifier's head. */
export type Converted =
  | { kind: 'transform'; value: string }
  | { kind: 'regressor'; value: string }
  | {
      kind: 'classifier';
      label: string;
      /** Class probabilities as predict_proba gives them, or decision scores where it has none. */
      scores: string;
      probabilities: boolean;
    };

/** What a converter works with: the pipeline under construction and the converter of nested estimators. */
export interface Context {
  b: PipelineBuilder;
  /** Operators of estimators that take NaN as a missing value (see missing.ts). */
  acceptsNaN: Set<Operator>;
  /** Converts a nested estimator (a Pipeline step, a ColumnTransformer part) applied to `x`. */
  convert(est: JsonReader, x: string, name: string): Converted;
}

/** Turns one exported estimator, applied to value `x`, into nodes named after `name`. */
export type Converter = (est: JsonReader, x: string, name: string, ctx: Context) => Converted;

/** The one-node result of a transformer. */
export const transformed = (value: string): Converted => ({ kind: 'transform', value });

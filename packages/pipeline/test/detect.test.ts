// parseModel reads any supported file, telling the format from its content.
import { readFileSync } from 'node:fs';
import { RandomForestClassifier } from 'ml-random-forest';
import { describe, expect, it } from 'vitest';
import { detectFormat, PipelineError, parseModel } from '../src/index.js';

const fixture = (path: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${path}`, import.meta.url)));

describe('parseModel', () => {
  it('tells ONNX, XGBoost, scikit-learn and ml.js files apart and parses each', () => {
    const onnx = fixture('onnx/breast_cancer_tree_d1.onnx');
    expect(detectFormat(onnx)).toBe('onnx');
    expect(parseModel(onnx).source).toBe('onnx');
    // The XGBoost fixtures hold the saved model under 'model', next to rows and predictions.
    const xgb = new TextEncoder().encode(
      JSON.stringify(JSON.parse(new TextDecoder().decode(fixture('xgboost/binary_logistic_nan.json'))).model),
    );
    expect(detectFormat(xgb)).toBe('xgboost');
    expect(parseModel(xgb).source).toBe('xgboost');
    // The scikit-learn fixtures hold several exported models per data set: take the first.
    const sk = JSON.stringify(
      JSON.parse(new TextDecoder().decode(fixture('sklearn/iris.json'))).models[0].model,
    );
    expect(detectFormat(sk)).toBe('sklearn');
    expect(parseModel(sk).source).toBe('sklearn');
    const forest = new RandomForestClassifier({ nEstimators: 3, seed: 1 });
    forest.train(
      [
        [0, 1],
        [1, 0],
        [1, 1],
        [0, 0],
      ],
      [0, 1, 1, 0],
    );
    const mljs = JSON.stringify(forest.toJSON());
    expect(detectFormat(mljs)).toBe('mljs');
    expect(parseModel(mljs).source).toBe('mljs');
  });

  it('refuses JSON of no known format and names the formats', () => {
    expect(() => parseModel('{"a": 1}')).toThrow(PipelineError);
    expect(() => parseModel('{"a": 1}')).toThrow(/none of the formats read here: an XGBoost model/);
    expect(() => parseModel('[1, 2]')).toThrow(/not an object/);
    expect(() => parseModel(fixture('onnx/breast_cancer_tree_d1.onnx'), 'nope' as never)).toThrow(
      /format must be/,
    );
  });
});

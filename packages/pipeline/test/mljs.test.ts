// parseMljs: ml.js models trained here (the npm packages are the oracle), `toJSON()`, parsed and
// evaluated by the float64 IR reference on every row of their data set and on rows moved onto
// their splits, agree with the library's own predictions; bad models are refused.
import { describe, expect, it } from 'vitest';
import { parseMljs, type TreeEnsembleOp } from '../src/index.js';
import { expectClose } from './helpers.js';
import { evaluate } from './ir-reference.js';
import { mljsCases, rowsFor } from './mljs-models.js';
import { expectRefusal } from './refusal.js';

// Float64 on both sides; only the order of operations differs (ml-matrix's products, 1 − s vs
// the logistic of −z, x / s vs x · (1/s)).
const RTOL = 1e-12;
const ATOL = 1e-12;

const cases = mljsCases();

describe('parseMljs matches ml.js', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const pipeline = parseMljs(c.json, c.options);
    expect(pipeline.source).toBe('mljs');
    const rows = rowsFor(c, pipeline);
    const got = evaluate(pipeline, rows);
    const want = c.predict(rows);
    if (want.label) {
      expect(pipeline.outputs).toEqual(['label', 'probabilities']);
      expectClose(
        (got.probabilities as number[][]).flat(),
        want.values.flat(),
        RTOL,
        ATOL,
        `${c.name} probabilities`,
      );
      if (c.name.startsWith('forest')) {
        // ml-array-mode breaks a tied vote by the class that reached the count first, Tessera by
        // the lowest: compare the untied rows, and on tied rows require a tied class.
        const probs = got.probabilities as number[][];
        const tied = probs.map((p) => p.filter((v) => v === Math.max(...p)).length > 1);
        const labels = got.label as number[];
        labels.forEach((l, r) => {
          if (tied[r]) expect(probs[r][l]).toBe(Math.max(...probs[r]));
          else expect(l, `row ${r}`).toBe(want.label![r]);
        });
        expect(tied.filter(Boolean).length, 'tied rows').toBeLessThan(rows.length / 10);
      } else {
        expect(got.label).toEqual(want.label);
      }
    } else {
      expect(pipeline.outputs).toEqual(['variable']);
      expectClose((got.variable as number[][]).flat(), want.values.flat(), RTOL, ATOL, c.name);
    }
  });

  it('maps each model to its operators', () => {
    const parse = (name: string) => {
      const c = cases.find((m) => m.name === name)!;
      return parseMljs(c.json, c.options);
    };
    const forest = parse('forest_classifier_iris_25');
    const op = forest.nodes[0].op as TreeEnsembleOp;
    expect(op).toMatchObject({ aggregate: 'average', outputs: 3 });
    expect(op.trees).toHaveLength(25);
    expect(op.trees[0].rule.every((r) => r === 'lt')).toBe(true);
    // Each leaf is a one-hot vote.
    expect([...op.trees[0].leafValues].every((v) => v === 0 || v === 1)).toBe(true);
    expect(parse('logistic_iris').nodes.map((n) => n.op)).toMatchObject([
      { kind: 'linear', post: 'logistic', bias: [0, 0, 0] },
      { kind: 'classifier', labels: [0, 1, 2] },
    ]);
    expect(parse('pca_constant_column_excluded').nodes.map((n) => n.op.kind)).toEqual([
      'select',
      'scaler',
      'linear',
    ]);
    expect(parse('pca_constant_column_excluded').inputs[0].columns).toBe(5);
    expect(parse('pca_iris_centered_2').nodes.at(-1)!.op).toMatchObject({ kind: 'linear', bias: [0, 0] });
  });

  it('takes the input width from options.columns where the model does not say it', () => {
    const c = cases.find((m) => m.name === 'cart_classifier_wine_depth_4')!;
    const used = parseMljs(c.json).inputs[0].columns;
    expect(used).toBeLessThanOrEqual(13);
    expect(parseMljs(c.json, { columns: 13 }).inputs[0].columns).toBe(13);
    expect(() => parseMljs(c.json, { columns: used - 1 })).toThrow(
      new RegExp(`options.columns is ${used - 1}; the model reads at least ${used} columns`),
    );
    const lr = cases.find((m) => m.name === 'logistic_iris')!;
    expect(() => parseMljs(lr.json, { columns: 5 })).toThrow(
      /options.columns is 5; the model reads 4 columns/,
    );
  });
});

describe('parseMljs refuses bad models', () => {
  const refuses = (json: unknown, message: RegExp) => expectRefusal(() => parseMljs(json), message);
  const leaf = { distribution: 1 };

  it('names the model, the node and the field', () => {
    refuses(
      { name: 'KNN' },
      /model\.name: model 'KNN' is not supported; supported: DTClassifier, DTRegression/,
    );
    refuses('{"name": "PCA"', /the ml.js model is not valid JSON/);
    refuses(
      { name: 'DTRegression', root: { splitColumn: 0, splitValue: 1, left: leaf } },
      /model\.root\.right: is missing/,
    );
    refuses(
      { name: 'DTRegression', root: { splitColumn: -1, splitValue: 1, left: leaf, right: leaf } },
      /model\.root\.splitColumn: expected an integer in 0\.\./,
    );
    refuses(
      {
        name: 'DTClassifier',
        root: { splitColumn: 0, splitValue: 1, left: { distribution: [[1, 0]] }, right: { distribution: 2 } },
      },
      /model\.root\.right\.distribution: expected an array/,
    );
    const pca = cases.find((m) => m.name === 'pca_wine_scaled')!.json;
    refuses(
      { ...pca, means: null },
      /model\.means: is null: a PCA fitted on a covariance matrix cannot project rows/,
    );
    const forest = cases.find((m) => m.name === 'forest_regression_diabetes_8')!.json;
    refuses(
      { ...forest, selectionMethod: 'median' },
      /selectionMethod: expected one of 'mean', got a string \("median"\)/,
    );
  });

  it('reads a tree 100,000 levels deep without exhausting the call stack', () => {
    const depth = 100_000;
    const text = `${'{"splitColumn":0,"splitValue":0.5,"left":{"distribution":1},"right":'.repeat(depth)}{"distribution":2}${'}'.repeat(depth)}`;
    const p = parseMljs(`{"name":"DTRegression","root":${text}}`);
    expect((p.nodes[0].op as TreeEnsembleOp).trees[0].feature.length).toBe(2 * depth + 1);
    expect(evaluate(p, [[1]]).variable).toEqual([[2]]);
  });
});

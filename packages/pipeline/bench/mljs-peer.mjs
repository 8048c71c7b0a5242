// ml.js against Tessera on the same ml.js model: ml-random-forest trained in JavaScript with the
// benchmark forest's settings (100 trees of depth 8, bootstrap rows), and ml-logistic-regression on
// standardised rows (ml.js has no scaler: both sides get the standardised rows). Tessera compiles
// the model's toJSON() through parseMljs; its outputs are checked against ml.js's before timing.

import { parseMljs } from '@tessera/pipeline';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { RandomForestClassifier } from 'ml-random-forest';
import { expectAgree, series } from './series.mjs';
import { timeTessera } from './throughput.mjs';

/** Each column standardised with the training rows' mean and standard deviation. */
function standardise(train, rows, columns) {
  const n = train.length;
  const mean = Array.from({ length: columns }, (_, c) => train.reduce((s, r) => s + r[c], 0) / n);
  const sd = mean.map((m, c) => Math.sqrt(train.reduce((s, r) => s + (r[c] - m) ** 2, 0) / n) || 1);
  return rows.map((r) => r.map((v, c) => Math.fround((v - mean[c]) / sd[c])));
}

/** ml.js's outputs for rows: labels and per-class values (vote shares, or probabilities). */
function reference(label, values, classes) {
  return {
    label: Int32Array.from(label),
    probabilities: Float64Array.from(values.flatMap((v) => v.slice(0, classes))),
  };
}

/** The two ml.js models, trained on `data` ({ X: number[][], y: number[] }), with their outputs on `all`. */
function models(data, all, classes, log) {
  const columns = data.X[0].length;
  let t0 = performance.now();
  // ml.js draws a feature subset per tree (maxFeatures), scikit-learn per split: all features here.
  const forest = new RandomForestClassifier({
    nEstimators: 100,
    maxFeatures: 1.0,
    replacement: true,
    seed: 0,
    noOOB: true,
    treeOptions: { maxDepth: 8 },
  });
  forest.train(data.X, data.y);
  log(`  ml.js random forest: trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const votes = forest.predictionValues(all).to2DArray();
  const shares = votes.map((v) =>
    Array.from({ length: classes }, (_, c) => v.filter((l) => l === c).length / v.length),
  );
  const scaledTrain = standardise(data.X, data.X, columns);
  const scaled = standardise(data.X, all, columns);
  t0 = performance.now();
  const logistic = new LogisticRegression({ numSteps: 2000, learningRate: 5e-3 });
  logistic.train(new Matrix(scaledTrain), Matrix.columnVector(data.y));
  log(`  ml.js logistic regression: trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const x = new Matrix(scaled);
  // testScores is the probability of NOT being class j: one minus it is class j's.
  const notClass = logistic.classifiers.map((c) => c.testScores(x));
  return [
    {
      model: 'random_forest (ml.js)',
      ml: forest,
      rows: all,
      pipeline: parseMljs(forest.toJSON(), { columns }),
      want: reference(forest.predict(all), shares, classes),
      votes: true,
    },
    {
      model: 'linear (ml.js)',
      ml: { predict: (r) => logistic.predict(new Matrix(r)) },
      rows: scaled,
      pipeline: parseMljs(logistic.toJSON(), { columns }),
      want: reference(
        logistic.predict(x),
        scaled.map((_, r) => notClass.map((s) => 1 - s[r])),
        classes,
      ),
      votes: false,
    },
  ];
}

/**
 * ml.js's predict and Tessera (every backend and strategy) on the same ml.js models, for the first
 * b of `all` (number[][]) for each b of `batches`. Returns the number of tied forest votes seen.
 */
export async function mljsPeer({ data, all, classes, batches, backends, record, notes, log }) {
  const columns = data.X[0].length;
  let ties = 0;
  for (const m of models(data, all, classes, log)) {
    const flat = Float32Array.from(m.rows.flat());
    const want = (b) => ({
      label: m.want.label.subarray(0, b),
      probabilities: m.want.probabilities.subarray(0, b * classes),
    });
    await series({
      model: m.model,
      impl: 'ml.js',
      run: async (_x, b) => ({ label: m.ml.predict(m.rows.slice(0, b)) }),
      check: (out, b) => {
        for (let r = 0; r < b; r++)
          if (out.label[r] !== m.want.label[r])
            throw new Error(`ml.js ${m.model}: predict is not deterministic at row ${r}`);
      },
      rows: flat,
      columns,
      batches,
      record,
      notes,
    });
    await timeTessera({
      pipeline: m.pipeline,
      model: m.model,
      backends,
      rows: flat,
      columns,
      batches,
      check: (out, b, impl) => {
        ties += expectAgree(out, want(b), b, classes, `${impl} on ${m.model}, ${b} rows, vs ml.js`, {
          votes: m.votes,
        });
      },
      record,
      notes,
    });
  }
  return ties;
}

// The scikit-learn fixtures (tools/fixtures/gen_pipeline_sklearn.py): per data set, held-out rows
// and fitted models exported by python/export_sklearn.py with scikit-learn's own outputs.
import { readFileSync } from 'node:fs';

export interface SklearnCase {
  name: string;
  /** The exporter's document. */
  model: { estimator: Record<string, unknown> } & Record<string, unknown>;
  /** scikit-learn's outputs by pipeline output name: labels, or rows of float64 values. */
  expected: Record<string, (number | string)[] | number[][]>;
  /** Per input column, whether scikit-learn raises on a row with NaN there. */
  nan_refused: boolean[];
  /** Rows of this case when they differ from the data set's ("nan" for NaN). */
  rows?: (number | string)[][];
}

export interface SklearnFixture {
  dataset: string;
  rows: number[][];
  models: SklearnCase[];
}

export const SKLEARN_DATASETS = ['iris', 'wine', 'breast_cancer', 'digits', 'diabetes'] as const;

export function loadSklearnFixture(dataset: string): SklearnFixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/sklearn/${dataset}.json`, import.meta.url), 'utf8'));
}

/** A case's input rows, NaN restored. */
export function rowsOf(fixture: SklearnFixture, c: SklearnCase): number[][] {
  return (c.rows ?? fixture.rows).map((row) => row.map((v) => (v === 'nan' ? Number.NaN : (v as number))));
}

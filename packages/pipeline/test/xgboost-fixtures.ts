// The XGBoost fixtures (tools/fixtures/gen_pipeline_xgboost.py): each a model file as
// Booster.save_model writes it, rows (NaN as "nan"), and the Booster's margins and predictions.
import { readdirSync, readFileSync } from 'node:fs';
import { link } from './reference.js';

export interface XgboostCase {
  model: { learner: { objective: { name: string } } };
  rows: (number | string)[][];
  margin: number[][];
  predict: number[][];
}

const DIR = new URL('./fixtures/xgboost/', import.meta.url);

/** The fixture names (categorical.json, a model the parser refuses, aside). */
export const XGBOOST_CASES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'categorical.json')
  .map((f) => f.slice(0, -5));

export const loadXgboostCase = (name: string): XgboostCase =>
  JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8'));

export const xgboostFile = (name: string) => readFileSync(new URL(`${name}.json`, DIR), 'utf8');

export const rowsOf = (c: XgboostCase) =>
  c.rows.map((r) => r.map((v) => (v === 'nan' ? Number.NaN : (v as number))));

const argmax = (row: number[]) => row.indexOf(Math.max(...row));

/**
 * The pipeline outputs XGBoost's predictions stand for: binary:logistic's p as [1 − p, p] and the
 * label XGBClassifier.predict gives (p > 0.5); multi:softprob's probabilities and their argmax;
 * multi:softmax's labels, with the softmax of its margins; any other objective's value.
 */
export function expectedOutputs(c: XgboostCase): Record<string, number[] | number[][]> {
  const objective = c.model.learner.objective.name;
  if (objective === 'binary:logistic')
    return {
      label: c.predict.map(([p]) => (p > 0.5 ? 1 : 0)),
      probabilities: c.predict.map(([p]) => [1 - p, p]),
    };
  if (objective === 'multi:softprob') return { label: c.predict.map(argmax), probabilities: c.predict };
  if (objective === 'multi:softmax')
    return { label: c.predict.map(([l]) => l), probabilities: c.margin.map((m) => link(m, 'softmax')) };
  return { variable: c.predict };
}

/**
 * scikit-learn's scalers, normalizer, imputer, binarizer and one-hot encoder (sklearn/preprocessing,
 * sklearn/impute; checked against 1.2.1). Every scaler is y = (x − offset) · scale per column:
 * StandardScaler (x − mean_) / scale_, RobustScaler (x − center_) / scale_, MaxAbsScaler x / scale_,
 * MinMaxScaler x · scale_ + min_ = (x + min_ / scale_) · scale_.
 */
import type { JsonReader } from '../json.js';
import { type Converter, transformed } from './context.js';

/** 1 / s for each s of a `scale_` array (scikit-learn divides by it; it never holds zeros). */
function reciprocals(r: JsonReader): number[] {
  return r.numbers().map((s, i) => (s === 0 ? r.fail(`entry ${i} is 0; a scale_ divides`) : 1 / s));
}

export const standardScaler: Converter = (est, x, name, { b }) => {
  const mean = est.at('with_mean').boolean() ? est.at('mean_').numbers() : [0];
  const scale = est.at('with_std').boolean() ? reciprocals(est.at('scale_')) : [1];
  return transformed(b.add1(name, { kind: 'scaler', offset: mean, scale }, [x]));
};

export const robustScaler: Converter = (est, x, name, { b }) => {
  const center = est.optional('center_')?.numbers() ?? [0];
  const scaleReader = est.optional('scale_');
  const scale = scaleReader ? reciprocals(scaleReader) : [1];
  return transformed(b.add1(name, { kind: 'scaler', offset: center, scale }, [x]));
};

export const maxAbsScaler: Converter = (est, x, name, { b }) => {
  const scale = reciprocals(est.at('scale_'));
  return transformed(b.add1(name, { kind: 'scaler', offset: [0], scale }, [x]));
};

export const minMaxScaler: Converter = (est, x, name, { b }) => {
  if (est.at('clip').boolean()) est.at('clip').fail('clip=True is not supported (no clipping operator)');
  const scale = est.at('scale_').numbers();
  const min = est.at('min_').numbers(false, scale.length);
  const offset = scale.map((s, i) => (s === 0 ? est.at('scale_').fail(`entry ${i} is 0`) : -min[i] / s));
  return transformed(b.add1(name, { kind: 'scaler', offset, scale }, [x]));
};

export const normalizer: Converter = (est, x, name, { b }) => {
  // scikit-learn's 'max' norm is the largest absolute value of the row.
  const norm = est.at('norm').oneOf(['l1', 'l2', 'max'] as const);
  return transformed(b.add1(name, { kind: 'normalizer', norm }, [x]));
};

export const binarizer: Converter = (est, x, name, { b }) => {
  const threshold = est.at('threshold').number();
  return transformed(b.add1(name, { kind: 'binarizer', threshold }, [x]));
};

/**
 * SimpleImputer: entries equal to missing_values (NaN matches NaN) take their column's statistic.
 * Columns whose statistic is NaN (never observed in training) are dropped, as scikit-learn does,
 * unless the strategy is 'constant' or keep_empty_features is set.
 */
export const simpleImputer: Converter = (est, x, name, { b }) => {
  if (est.at('add_indicator').boolean())
    est.at('add_indicator').fail('add_indicator=True is not supported (no missing-indicator operator)');
  const missing = est.at('missing_values').number(true);
  const stats = est.at('statistics_').numbers(true);
  const keepAll =
    est.at('strategy').oneOf(['mean', 'median', 'most_frequent', 'constant'] as const) === 'constant' ||
    est.at('keep_empty_features').boolean();
  const kept = stats.flatMap((s, i) => (keepAll || !Number.isNaN(s) ? [i] : []));
  if (kept.length === 0) est.at('statistics_').fail('every column is empty; the imputer would output none');
  const fill = stats.map((s) => (Number.isNaN(s) && !keepAll ? 0 : s));
  const imputed = b.add1(name, { kind: 'imputer', missing, fill }, [x]);
  if (kept.length === stats.length) return transformed(imputed);
  return transformed(b.add1(`${name}:kept`, { kind: 'select', indices: kept }, [imputed]));
};

/**
 * OneHotEncoder over numeric columns: each column's code against its categories_, side by side;
 * handle_unknown 'ignore' (and 'infrequent_if_exist' without infrequent categories) gives zeros.
 * A dropped category (drop_idx_) removes its output column.
 */
export const oneHotEncoder: Converter = (est, x, name, { b }) => {
  if (est.at('infrequent_enabled').boolean())
    est
      .at('infrequent_enabled')
      .fail('infrequent categories (min_frequency, max_categories) are not supported');
  const categories = est
    .at('categories_')
    .items()
    .map((col) => {
      const v = col.value;
      if (Array.isArray(v) && v.some((c) => typeof c === 'string'))
        col.fail(
          v.includes('nan')
            ? 'NaN as a category is not supported'
            : 'string categories are not supported: the exported pipeline takes one numeric matrix',
        );
      const cats = col.numbers();
      if (cats.length === 0) col.fail('a column has no categories');
      return cats;
    });
  const handle = est.at('handle_unknown').oneOf(['error', 'ignore', 'infrequent_if_exist'] as const);
  const unknown = handle === 'error' ? 'error' : 'zeros';
  const encoded = b.add1(name, { kind: 'oneHot', categories, unknown }, [x]);
  const drop = est.optional('drop_idx_');
  if (!drop) return transformed(encoded);
  const dropped = drop
    .itemsOf(categories.length)
    .map((d, c) => (d.value === null ? -1 : d.integer(0, categories[c].length - 1)));
  const kept: number[] = [];
  let start = 0;
  categories.forEach((cats, c) => {
    for (let k = 0; k < cats.length; k++) if (k !== dropped[c]) kept.push(start + k);
    start += cats.length;
  });
  if (kept.length === 0) drop.fail('drops every category; the encoder would output no columns');
  return transformed(b.add1(`${name}:kept`, { kind: 'select', indices: kept }, [encoded]));
};
